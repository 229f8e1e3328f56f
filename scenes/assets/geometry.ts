import { mat4, vec3 } from '../matrix.ts';
import type { Vec3 } from '../types.ts';
import { invalid, type GltfJson } from './glb.ts';

// Node tree and accessors.

// Matrices are gl-matrix's (column-major, as glTF stores them) in float64.
type M4 = Float64Array;

function localMatrix(n: NonNullable<GltfJson['nodes']>[number]): M4 {
  if (n.matrix) return Float64Array.from(n.matrix);
  const [tx, ty, tz] = n.translation ?? [0, 0, 0];
  const [x, y, z, w] = n.rotation ?? [0, 0, 0, 1];
  const [sx, sy, sz] = n.scale ?? [1, 1, 1];
  // T · R · S, column-major.
  return Float64Array.from([
    (1 - 2 * (y! * y! + z! * z!)) * sx!,
    2 * (x! * y! + z! * w!) * sx!,
    2 * (x! * z! - y! * w!) * sx!,
    0,
    2 * (x! * y! - z! * w!) * sy!,
    (1 - 2 * (x! * x! + z! * z!)) * sy!,
    2 * (y! * z! + x! * w!) * sy!,
    0,
    2 * (x! * z! + y! * w!) * sz!,
    2 * (y! * z! - x! * w!) * sz!,
    (1 - 2 * (x! * x! + y! * y!)) * sz!,
    0,
    tx!,
    ty!,
    tz!,
    1,
  ]);
}

const COMPONENTS: Record<
  number,
  { size: number; read: (dv: DataView, at: number) => number; max: number }
> = {
  5120: { size: 1, read: (dv, at) => dv.getInt8(at), max: 127 },
  5121: { size: 1, read: (dv, at) => dv.getUint8(at), max: 255 },
  5122: { size: 2, read: (dv, at) => dv.getInt16(at, true), max: 32767 },
  5123: { size: 2, read: (dv, at) => dv.getUint16(at, true), max: 65535 },
  5125: { size: 4, read: (dv, at) => dv.getUint32(at, true), max: 4294967295 },
  5126: { size: 4, read: (dv, at) => dv.getFloat32(at, true), max: 1 },
};

/** The vec3 values of an accessor (POSITION). Sparse substitutions are not applied. */
function readVec3(
  json: GltfJson,
  buffers: Uint8Array[],
  index: number,
  file: string,
): Float64Array {
  const acc = json.accessors?.[index];
  if (!acc || acc.type !== 'VEC3') throw invalid(file, `accessor ${index} is not a VEC3`);
  const comp = COMPONENTS[acc.componentType];
  if (!comp) throw invalid(file, `accessor ${index} has component type ${acc.componentType}`);
  const out = new Float64Array(acc.count * 3);
  if (acc.bufferView === undefined) return out; // all zeros by the spec
  const view = json.bufferViews?.[acc.bufferView];
  const buf = view ? buffers[view.buffer] : undefined;
  if (!view || !buf) throw invalid(file, `accessor ${index} names a missing buffer view`);
  const stride = view.byteStride ?? comp.size * 3;
  const start = (view.byteOffset ?? 0) + (acc.byteOffset ?? 0);
  if (start + stride * (acc.count - 1) + comp.size * 3 > buf.length)
    throw invalid(file, `accessor ${index} runs past its buffer`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const norm = acc.normalized && acc.componentType !== 5126;
  for (let i = 0; i < acc.count; i++)
    for (let k = 0; k < 3; k++) {
      const v = comp.read(dv, start + i * stride + k * comp.size);
      out[i * 3 + k] = norm ? Math.max(v / comp.max, -1) : v;
    }
  return out;
}

const UNSUPPORTED = [
  'KHR_draco_mesh_compression',
  'EXT_meshopt_compression',
  'KHR_texture_basisu',
  'EXT_mesh_gpu_instancing',
];

/** Directions spread over the sphere (Fibonacci lattice) for picking hull points. */
const DIRECTIONS: Vec3[] = Array.from({ length: 256 }, (_, i) => {
  const y = 1 - (2 * (i + 0.5)) / 256;
  const r = Math.sqrt(1 - y * y);
  const a = i * Math.PI * (3 - Math.sqrt(5));
  return [r * Math.cos(a), y, r * Math.sin(a)];
});

export function analyse(json: GltfJson, buffers: Uint8Array[], file: string) {
  for (const ext of [...(json.extensionsRequired ?? []), ...(json.extensionsUsed ?? [])])
    if (UNSUPPORTED.includes(ext))
      throw invalid(
        file,
        `uses ${ext}, which the renderer does not decode`,
        'export without mesh compression, KTX2 textures or GPU instancing',
      );
  if (json.skins?.length) throw invalid(file, 'skinned meshes are not supported');
  const scene = json.scenes?.[json.scene ?? 0];
  if (!scene) throw invalid(file, 'has no scene');
  const nodes = json.nodes ?? [];
  const points: number[] = [];
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  const parent = new Map<number, number>();
  const visit = (i: number, world: M4, depth: number) => {
    const n = nodes[i];
    if (!n || depth > 256) throw invalid(file, `node ${i} is missing or the node tree has a cycle`);
    const m = mat4.multiply(new Float64Array(16), world, localMatrix(n)) as M4;
    if (n.mesh !== undefined) {
      const mesh = json.meshes?.[n.mesh];
      if (!mesh) throw invalid(file, `node ${i} names missing mesh ${n.mesh}`);
      for (const prim of mesh.primitives) {
        const pos = prim.attributes.POSITION;
        if (pos === undefined) continue;
        const v = readVec3(json, buffers, pos, file);
        for (let k = 0; k < v.length; k += 3) {
          const p = vec3.transformMat4([0, 0, 0], [v[k]!, v[k + 1]!, v[k + 2]!], m) as Vec3;
          for (let r = 0; r < 3; r++) {
            min[r] = Math.min(min[r]!, p[r]!);
            max[r] = Math.max(max[r]!, p[r]!);
          }
          points.push(...p);
        }
      }
    }
    for (const c of n.children ?? []) {
      parent.set(c, i);
      visit(c, m, depth + 1);
    }
  };
  const identity = Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  for (const root of scene.nodes ?? []) visit(root, identity, 0);
  if (points.length === 0) throw invalid(file, 'its default scene draws no mesh vertices');
  if (!points.every(Number.isFinite)) throw invalid(file, 'has non-finite vertex positions');

  // Extreme points along many directions (deduplicated): a small set whose hull is close to the full one.
  const keep = new Set<number>();
  for (const d of DIRECTIONS) {
    let best = 0;
    let bestDot = -Infinity;
    for (let k = 0; k < points.length; k += 3) {
      const dot = d[0] * points[k]! + d[1] * points[k + 1]! + d[2] * points[k + 2]!;
      if (dot > bestDot) {
        bestDot = dot;
        best = k;
      }
    }
    keep.add(best);
  }
  const hullPoints = new Float32Array(
    [...keep].sort((a, b) => a - b).flatMap((k) => [points[k]!, points[k + 1]!, points[k + 2]!]),
  );
  const inScene = (i: number) => {
    for (let j: number | undefined = i; j !== undefined; j = parent.get(j))
      if ((scene.nodes ?? []).includes(j)) return true;
    return false;
  };
  const descendants = (i: number): number[] => [
    i,
    ...(nodes[i]?.children ?? []).flatMap(descendants),
  ];
  const nodesNamed = (name: string) => {
    const hits = nodes
      .map((n, i) => ({ n, i }))
      .filter(
        ({ n }) =>
          n.name === name || (n.mesh !== undefined && json.meshes?.[n.mesh]?.name === name),
      )
      .map(({ i }) => i)
      .filter(inScene);
    return [...new Set(hits.flatMap(descendants))].sort((a, b) => a - b);
  };
  const f = json.materials?.[0]?.pbrMetallicRoughness?.baseColorFactor;
  const hex = (v: number) =>
    Math.round(255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055))
      .toString(16)
      .padStart(2, '0');
  return {
    bounds: { min, max },
    hullPoints,
    nodeNames: nodes.map((n) => n.name ?? '').filter(Boolean),
    meshNames: (json.meshes ?? []).map((m) => m.name ?? '').filter(Boolean),
    nodesNamed,
    baseColor: json.materials?.length
      ? `#${(f ?? [1, 1, 1])
          .slice(0, 3)
          .map((v) => hex(Math.min(1, Math.max(0, v))))
          .join('')}`
      : null,
  };
}
