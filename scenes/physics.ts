import RAPIER from '@dimforge/rapier3d-deterministic-compat';
import type { Rng } from '../core/index.ts';
import type { PhysicsSpec } from './spec.ts';
import type { PartRecord, Pose, Quat, Vec3 } from './types.ts';

/**
 * MOVi-like rigid-body dynamics with Rapier's cross-platform deterministic build: the same inputs
 * give the same trajectories to the last bit, on any machine.
 */

let ready: Promise<void> | undefined;

/** Loads Rapier's WebAssembly once; `simulateDrop` needs it. */
export function loadPhysics(): Promise<void> {
  ready ??= RAPIER.init();
  return ready;
}

export interface PhysicsBodyInit {
  id: number;
  parts: PartRecord[];
  scale: number;
  position: Vec3;
  quaternion: Quat;
  velocity: Vec3;
  angularVelocity: Vec3;
  /** A user glTF asset (then `parts` is empty): hull points and bounds in the object frame. */
  asset?: { collider: 'hull' | 'box'; hullPoints: Float32Array; bounds: { min: Vec3; max: Vec3 } };
}

export interface CollisionEvent {
  frame: number;
  time_s: number;
  /** Object ids; 0 is the floor. */
  a: number;
  b: number;
}

const SUBSTEP_HZ = 120;

/** A convex hull through points on the shape's surface: exact for boxes, close for round shapes. */
function hullPoints(part: PartRecord, scale: number): Float32Array {
  const s = part.shape;
  const pts: number[][] = [];
  const ring = (y: number, r: number, n = 16) => {
    for (let i = 0; i < n; i++)
      pts.push([r * Math.cos((2 * Math.PI * i) / n), y, r * Math.sin((2 * Math.PI * i) / n)]);
  };
  if (s.kind === 'cylinder') {
    ring(s.height / 2, s.radiusTop);
    ring(-s.height / 2, s.radiusBottom);
    if (s.radiusTop === 0) pts.push([0, s.height / 2, 0]);
  } else if (s.kind === 'torus') {
    for (let i = 0; i < 24; i++) {
      const a = (s.arc * i) / 23;
      for (let j = 0; j < 8; j++) {
        const b = (2 * Math.PI * j) / 8;
        const r = s.radius + s.tube * Math.cos(b);
        pts.push([r * Math.cos(a), r * Math.sin(a), s.tube * Math.sin(b)]);
      }
    }
  }
  return new Float32Array(pts.flat().map((v) => v * scale));
}

function colliderFor(part: PartRecord, scale: number): RAPIER.ColliderDesc {
  const s = part.shape;
  switch (s.kind) {
    case 'box':
      return RAPIER.ColliderDesc.cuboid(
        (s.size[0] * scale) / 2,
        (s.size[1] * scale) / 2,
        (s.size[2] * scale) / 2,
      );
    case 'sphere':
      return RAPIER.ColliderDesc.ball(s.radius * scale);
    case 'capsule':
      return RAPIER.ColliderDesc.capsule((s.length * scale) / 2, s.radius * scale);
    case 'cylinder':
      if (s.radiusTop === s.radiusBottom)
        return RAPIER.ColliderDesc.cylinder((s.height * scale) / 2, s.radiusTop * scale);
      return RAPIER.ColliderDesc.convexHull(hullPoints(part, scale))!;
    case 'torus':
      return RAPIER.ColliderDesc.convexHull(hullPoints(part, scale))!;
  }
}

/** An asset's collider, positioned in the body frame: the vertices' convex hull, or their box. */
function assetCollider(asset: NonNullable<PhysicsBodyInit['asset']>, scale: number) {
  const { min, max } = asset.bounds;
  const box = () =>
    RAPIER.ColliderDesc.cuboid(
      ((max[0] - min[0]) * scale) / 2,
      ((max[1] - min[1]) * scale) / 2,
      ((max[2] - min[2]) * scale) / 2,
    ).setTranslation(
      ((min[0] + max[0]) * scale) / 2,
      ((min[1] + max[1]) * scale) / 2,
      ((min[2] + max[2]) * scale) / 2,
    );
  if (asset.collider === 'box') return box();
  // A flat or degenerate asset has no 3D hull: fall back to its (thin) box.
  return RAPIER.ColliderDesc.convexHull(asset.hullPoints.map((v) => v * scale)) ?? box();
}

/**
 * Drops and throws the bodies onto a floor at y = 0 and records each body's pose at every frame,
 * plus the frames where contacts start.
 */
export function simulateDrop(opts: {
  bodies: PhysicsBodyInit[];
  physics: PhysicsSpec;
  frames: number;
  fps: number;
}): { poses: Map<number, Pose[]>; events: CollisionEvent[] } {
  if (!ready) throw new Error('simulateDrop before loadPhysics()');
  const { physics, frames, fps } = opts;
  const substeps = Math.max(1, Math.ceil(SUBSTEP_HZ / fps));
  const world = new RAPIER.World({ x: 0, y: -9.81, z: 0 });
  world.timestep = 1 / (fps * substeps);
  // Rapier's default 4 solver iterations leave a body resting on another jittering by 1–6 mm a
  // frame for ever (it never sleeps); 8 converge: every body settles to < 0.1 mm a frame.
  world.numSolverIterations = 8;
  const events = new RAPIER.EventQueue(true);
  const owner = new Map<number, number>(); // collider handle → object id (0 = floor)
  try {
    const floor = world.createCollider(
      RAPIER.ColliderDesc.cuboid(200, 0.5, 200)
        .setTranslation(0, -0.5, 0)
        .setFriction(physics.friction)
        .setRestitution(physics.restitution),
    );
    owner.set(floor.handle, 0);
    const bodies = opts.bodies.map((b) => {
      const body = world.createRigidBody(
        RAPIER.RigidBodyDesc.dynamic()
          .setTranslation(...b.position)
          .setRotation({
            x: b.quaternion[0],
            y: b.quaternion[1],
            z: b.quaternion[2],
            w: b.quaternion[3],
          })
          .setLinvel(...b.velocity)
          .setAngvel({ x: b.angularVelocity[0], y: b.angularVelocity[1], z: b.angularVelocity[2] })
          // Rapier has no rolling resistance: without damping a cup on its side rolls for ever.
          .setLinearDamping(0.5)
          .setAngularDamping(2),
      );
      if (b.asset) {
        const desc = assetCollider(b.asset, b.scale)
          .setFriction(physics.friction)
          .setRestitution(physics.restitution)
          .setDensity(300)
          .setActiveEvents(RAPIER.ActiveEvents.COLLISION_EVENTS);
        owner.set(world.createCollider(desc, body).handle, b.id);
      }
      for (const part of b.parts) {
        const desc = colliderFor(part, b.scale)
          .setTranslation(
            part.position[0] * b.scale,
            part.position[1] * b.scale,
            part.position[2] * b.scale,
          )
          .setRotation({
            x: part.rotation[0],
            y: part.rotation[1],
            z: part.rotation[2],
            w: part.rotation[3],
          })
          .setFriction(physics.friction)
          .setRestitution(physics.restitution)
          .setDensity(300)
          .setActiveEvents(RAPIER.ActiveEvents.COLLISION_EVENTS);
        owner.set(world.createCollider(desc, body).handle, b.id);
      }
      return { id: b.id, body };
    });

    const poses = new Map<number, Pose[]>(bodies.map((b) => [b.id, []]));
    const collisions: CollisionEvent[] = [];
    const seen = new Set<string>();
    const warmupSteps = Math.round(physics.warmup_s * fps * substeps);
    for (let i = 0; i < warmupSteps; i++) world.step(events);
    events.clear();
    for (let f = 0; f < frames; f++) {
      if (f > 0) {
        for (let i = 0; i < substeps; i++) {
          world.step(events);
          events.drainCollisionEvents((h1, h2, started) => {
            if (!started) return;
            const [a, b] = [owner.get(h1) ?? -1, owner.get(h2) ?? -1].sort((x, y) => x - y) as [
              number,
              number,
            ];
            if (a === b) return;
            // One event per pair and frame: compound bodies touch with several parts at once.
            const key = `${f}:${a}:${b}`;
            if (!seen.has(key)) {
              seen.add(key);
              collisions.push({ frame: f, time_s: f / fps, a, b });
            }
          });
        }
      }
      for (const { id, body } of bodies) {
        const t = body.translation();
        const q = body.rotation();
        poses.get(id)!.push({ position: [t.x, t.y, t.z], quaternion: [q.x, q.y, q.z, q.w] });
      }
    }
    return { poses, events: collisions };
  } finally {
    events.free();
    world.free();
  }
}

/** Initial state of a dropped object: above its spot, a random tilt, thrown and spinning. */
export function dropInit(opts: {
  rng: Rng;
  physics: PhysicsSpec;
  x: number;
  z: number;
  layer: number;
  /** Distance from the object origin to its farthest point: no tilt can put it under the floor. */
  radius: number;
}): {
  position: Vec3;
  quaternion: Quat;
  velocity: Vec3;
  angularVelocity: Vec3;
} {
  const { rng, physics } = opts;
  const axis = [rng.normal(), rng.normal(), rng.normal()];
  const n = Math.hypot(...axis) || 1;
  const angle = rng.uniform(0, Math.PI);
  const sa = Math.sin(angle / 2);
  const speed = rng.range(physics.throw_speed_m_s);
  // Thrown roughly towards the scene centre (as in MOVi), so objects meet instead of leaving view.
  const inward =
    Math.hypot(opts.x, opts.z) > 1e-6 ? Math.atan2(-opts.z, -opts.x) : rng.uniform(0, 2 * Math.PI);
  const dir = inward + rng.uniform(-Math.PI / 4, Math.PI / 4);
  const spin = (rng.range(physics.spin_deg_s) * Math.PI) / 180;
  const spinAxis = [rng.normal(), rng.normal(), rng.normal()];
  const m = Math.hypot(...spinAxis) || 1;
  return {
    // Stacked start heights keep bodies from starting inside each other.
    position: [opts.x, rng.range(physics.drop_height_m) + opts.radius + 0.8 * opts.layer, opts.z],
    quaternion: [
      (axis[0]! / n) * sa,
      (axis[1]! / n) * sa,
      (axis[2]! / n) * sa,
      Math.cos(angle / 2),
    ],
    velocity: [speed * Math.cos(dir), 0, speed * Math.sin(dir)],
    angularVelocity: [
      (spin * spinAxis[0]!) / m,
      (spin * spinAxis[1]!) / m,
      (spin * spinAxis[2]!) / m,
    ],
  };
}
