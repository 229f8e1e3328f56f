import {
  BoxGeometry,
  BufferGeometry,
  CapsuleGeometry,
  Color,
  CylinderGeometry,
  DoubleSide,
  DirectionalLight,
  Group,
  HemisphereLight,
  Material,
  Mesh,
  MeshStandardMaterial,
  type Object3D,
  type PerspectiveCamera,
  PlaneGeometry,
  Scene,
  SphereGeometry,
  Texture,
  TorusGeometry,
  type WebGLRenderer,
} from 'three';
import type {
  MaterialRecord,
  ObjectRecord,
  PrimitiveShape,
  SceneRecord,
} from '../../scenes/types.ts';
import { assetInstance, gltfNodeOf } from './assets.ts';
import { geometryMaterial, type GeometryShared } from './pass-materials.ts';
import { splatBackdrop } from './splat-backdrop.ts';
import { patternTexture } from './textures.ts';

const GROUND_SIZE_M = 400;

function geometry(shape: PrimitiveShape): BufferGeometry {
  switch (shape.kind) {
    case 'box':
      return new BoxGeometry(...shape.size);
    case 'sphere':
      return new SphereGeometry(shape.radius, 32, 16);
    case 'cylinder':
      return new CylinderGeometry(shape.radiusTop, shape.radiusBottom, shape.height, 32);
    case 'capsule':
      return new CapsuleGeometry(shape.radius, shape.length, 8, 24);
    case 'torus':
      return new TorusGeometry(shape.radius, shape.tube, 16, 40, shape.arc);
  }
}

/**
 * Walls and ceiling of a room: a box without its floor face. The ground plane is the floor; a box
 * floor 1 mm under it z-fought with it at any distance, so the floor flipped between the ground and
 * the wall material from frame to frame (issue 18).
 */
function roomGeometry(sx: number, sy: number, sz: number): BufferGeometry {
  const box = new BoxGeometry(sx, sy, sz);
  // BoxGeometry's groups are its faces in the order +x, −x, +y, −y, +z, −z.
  const floor = box.groups[3]!;
  const index = Array.from(box.getIndex()!.array);
  index.splice(floor.start, floor.count);
  box.setIndex(index);
  box.clearGroups();
  return box;
}

/** Everything built for one sequence, and how to switch it between the render passes. */
export interface BuiltScene {
  scene: Scene;
  /** The colour pass's background: the sky colour, or the splat backdrop's texture. */
  sky: Color | Texture;
  /** With a splat backdrop: draws it for this camera; await before each colour pass. */
  backdrop?: (renderer: WebGLRenderer, camera: PerspectiveCamera) => Promise<void>;
  objects: Group[];
  /** Every mesh with its colour and geometry (depth, flow, id) materials. */
  meshes: { mesh: Mesh; color: Material; geometry: ReturnType<typeof geometryMaterial> }[];
  /** Uniforms shared by all geometry materials (next camera, image size). */
  shared: GeometryShared;
  sun: DirectionalLight;
  dispose(): void;
}

/**
 * What every part of the scene is added through: the scene, its meshes (each in every pass) and
 * what is disposed after the sequence.
 */
class SceneAssembly {
  readonly scene = new Scene();
  readonly disposables: { dispose(): void }[] = [];
  readonly meshes: BuiltScene['meshes'] = [];

  constructor(
    private readonly shadows: boolean,
    private readonly shared: GeometryShared,
  ) {}

  // Geometries and textures are disposed after the sequence; materials are not: disposing the last
  // user of a shader program makes three delete it, and SwiftShader then recompiles every program
  // for the next sequence (~0.5 s each time). Undisposed materials are garbage-collected.
  track<T extends { dispose(): void }>(x: T): T {
    this.disposables.push(x);
    return x;
  }

  standard(m: MaterialRecord, repeats: [number, number]): MeshStandardMaterial {
    const map: Texture | null = patternTexture(m, repeats);
    if (map) this.track(map);
    return new MeshStandardMaterial({
      color: map ? 0xffffff : new Color(m.color),
      map,
      roughness: m.roughness,
      metalness: m.metalness,
      side: DoubleSide,
    });
  }

  /** A mesh takes part in every pass: its own colour material, and a geometry material with its id. */
  readonly register = (mesh: Mesh, color: Material, id: number, diagnostic: boolean) => {
    mesh.castShadow = this.shadows;
    mesh.receiveShadow = this.shadows;
    this.meshes.push({
      mesh,
      color,
      geometry: geometryMaterial({ shared: this.shared, id, diagnostic }),
    });
  };

  addMesh(
    parent: Group | Scene,
    geom: BufferGeometry,
    color: Material,
    id: number,
    diagnostic: boolean,
  ): Mesh {
    const mesh = new Mesh(this.track(geom), color);
    parent.add(mesh);
    this.register(mesh, color, id, diagnostic);
    return mesh;
  }
}

/**
 * A three.js scene for one record: background, objects, lights, in that order (three numbers its
 * objects and materials in creation order, and ties in its draw order follow those numbers).
 */
export function buildScene(rec: SceneRecord, shared: GeometryShared): BuiltScene {
  const s = new SceneAssembly(rec.render.shadows, shared);
  const { sky, backdrop } = addBackground(s, rec);
  const objects = addObjects(s, rec.objects);
  const sun = addLights(s.scene, rec.lights);
  const { scene, meshes, disposables } = s;
  return {
    scene,
    sky: backdrop ? backdrop.target.texture : sky,
    ...(backdrop
      ? {
          backdrop: (renderer: WebGLRenderer, camera: PerspectiveCamera) =>
            backdrop.render(renderer, camera),
        }
      : {}),
    objects,
    meshes,
    shared,
    sun,
    dispose() {
      for (const d of disposables) d.dispose();
      sun.shadow.map?.dispose();
    },
  };
}

/**
 * Background: ground (and room) draw id 0 but real depth. A splat capture replaces the sky and
 * the room, and the ground unless asked for.
 */
function addBackground(s: SceneAssembly, rec: SceneRecord) {
  const bg = rec.background;
  const splat = bg.splat;
  const sky = new Color(bg.sky_color);
  const backdrop = splat
    ? splatBackdrop({ rec: splat, width: rec.camera.width, height: rec.camera.height, sky })
    : undefined;
  if (backdrop) s.disposables.push(backdrop);
  if (!splat || splat.show_ground) {
    const ground = s.addMesh(
      s.scene,
      // Subdivided: across two 400 m triangles the interpolated view z is off by ~2 %; 25 m cells bring
      // it to the rasteriser's own sub-pixel limit (~5e-4) at little cost (100×100 cells halved throughput).
      new PlaneGeometry(GROUND_SIZE_M, GROUND_SIZE_M, 16, 16),
      s.standard(bg.ground, [
        GROUND_SIZE_M * bg.ground.pattern_scale,
        GROUND_SIZE_M * bg.ground.pattern_scale,
      ]),
      0,
      false,
    );
    ground.rotation.x = -Math.PI / 2;
    ground.castShadow = false;
  }
  if (!splat && bg.kind === 'room' && bg.room_size && bg.wall) {
    const [sx, sy, sz] = bg.room_size;
    const wall = s.standard(bg.wall, [
      sx * bg.wall.pattern_scale * 0.25,
      sy * bg.wall.pattern_scale * 0.25,
    ]);
    const room = s.addMesh(s.scene, roomGeometry(sx, sy, sz), wall, 0, false);
    room.position.y = sy / 2;
    room.castShadow = false;
  }
  return { sky, backdrop };
}

/** Objects: one group per object; its parts are meshes with per-slot materials. */
function addObjects(s: SceneAssembly, records: SceneRecord['objects']): Group[] {
  const objects: Group[] = [];
  for (const o of records) {
    const group = new Group();
    group.scale.setScalar(o.scale);
    if (o.asset) {
      group.add(assetObject(o, s.register));
      s.scene.add(group);
      objects.push(group);
      continue;
    }
    const mats = {
      primary: s.standard(o.materials.primary, [1, 1]),
      secondary: s.standard(o.materials.secondary, [1, 1]),
      detail: s.standard(o.materials.detail, [1, 1]),
    };
    for (const p of o.parts) {
      const mesh = s.addMesh(group, geometry(p.shape), mats[p.material], o.id, p.diagnostic);
      mesh.position.set(...p.position);
      mesh.quaternion.set(...p.rotation);
    }
    s.scene.add(group);
    objects.push(group);
  }
  return objects;
}

/** Hemisphere and directional lights; the directional one (the sun) casts the shadows. */
function addLights(scene: Scene, lights: SceneRecord['lights']): DirectionalLight {
  let sun: DirectionalLight | undefined;
  for (const l of lights) {
    if (l.kind === 'hemisphere') {
      scene.add(
        new HemisphereLight(new Color(l.sky_color), new Color(l.ground_color), l.intensity),
      );
    } else {
      const d = new DirectionalLight(new Color(l.color), l.intensity);
      d.position.set(l.direction[0] * 30, l.direction[1] * 30, l.direction[2] * 30);
      d.castShadow = l.cast_shadow;
      d.shadow.mapSize.set(512, 512);
      d.shadow.camera.left = d.shadow.camera.bottom = -8;
      d.shadow.camera.right = d.shadow.camera.top = 8;
      d.shadow.camera.near = 1;
      d.shadow.camera.far = 80;
      d.shadow.bias = -0.0005;
      d.shadow.normalBias = 0.02;
      scene.add(d, d.target);
      sun = d;
    }
  }
  if (!sun) throw new Error('scene record has no directional light');
  return sun;
}

/**
 * A user glTF asset in the object frame: a clone of the shipped scene under a group that applies
 * the normalisation Node computed. Every mesh keeps its glTF material for colour and gets the
 * object's id; meshes under the diagnostic nodes are the diagnostic part.
 */
function assetObject(
  o: ObjectRecord,
  register: (mesh: Mesh, color: Material, id: number, diagnostic: boolean) => void,
): Object3D {
  const a = o.asset!;
  const norm = new Group();
  norm.scale.setScalar(a.normalise.scale);
  norm.position.set(...a.normalise.offset);
  const instance = assetInstance(a.sha256);
  norm.add(instance);
  const diagnostic = new Set(a.diagnostic_nodes);
  instance.traverse((x) => {
    const mesh = x as Mesh;
    if (!mesh.isMesh) return;
    const node = gltfNodeOf(mesh);
    // Multi-material meshes keep their array; the geometry pass needs one material for all groups.
    register(mesh, mesh.material as Material, o.id, node !== undefined && diagnostic.has(node));
  });
  return norm;
}
