/**
 * User glTF/GLB assets on the Node side, without a DOM: read the file (GLB chunks or glTF JSON
 * with external or data-URI buffers), walk the default scene's node tree, and read every mesh's
 * POSITION accessor for the bounding box and the convex-hull points physics needs. The page draws
 * the same bytes with three's GLTFLoader; `shipBytes` is a self-contained GLB (external buffers and
 * images inlined as data URIs) so the page never fetches anything.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { DatadietError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { CATEGORIES, categoryIndex, objectBounds } from './categories.ts';
import type { AssetSpec, Spec } from './spec.ts';
import type { AssetRecord, Vec3 } from './types.ts';

const GLB_MAGIC = 0x46546c67; // 'glTF'
const CHUNK_JSON = 0x4e4f534a;
const CHUNK_BIN = 0x004e4942;

/** A glTF document as JSON (only the fields read here are typed). */
interface GltfJson {
  asset?: { version?: string };
  scene?: number;
  scenes?: { nodes?: number[] }[];
  nodes?: {
    name?: string;
    mesh?: number;
    skin?: number;
    children?: number[];
    matrix?: number[];
    translation?: number[];
    rotation?: number[];
    scale?: number[];
  }[];
  meshes?: { name?: string; primitives: { attributes: Record<string, number> }[] }[];
  accessors?: {
    bufferView?: number;
    byteOffset?: number;
    componentType: number;
    normalized?: boolean;
    count: number;
    type: string;
  }[];
  bufferViews?: { buffer: number; byteOffset?: number; byteLength: number; byteStride?: number }[];
  buffers?: { uri?: string; byteLength: number }[];
  images?: { uri?: string; mimeType?: string }[];
  materials?: { pbrMetallicRoughness?: { baseColorFactor?: number[] } }[];
  skins?: unknown[];
  extensionsUsed?: string[];
  extensionsRequired?: string[];
}

/** What Node knows about one asset file. */
export interface LoadedAsset {
  /** Absolute path. */
  path: string;
  /** Self-contained GLB bytes for the page, and their sha256. */
  shipBytes: Uint8Array;
  sha256: string;
  /** Bounding box of every drawn vertex, in the asset's own frame (the default scene's root). */
  bounds: { min: Vec3; max: Vec3 };
  /** Vertices extreme along many directions: their convex hull approximates the asset's. */
  hullPoints: Float32Array;
  /** Node names and mesh names, for the diagnostic part. */
  nodeNames: string[];
  meshNames: string[];
  /** Node indices (with descendants) that draw the node or mesh with this name; empty if none. */
  nodesNamed(name: string): number[];
  /** base colour of the first material as '#rrggbb' (for labels and captions), if any. */
  baseColor: string | null;
}

const invalid = (file: string, why: string, hint?: string) =>
  new DatadietError('ASSET_INVALID', `${file}: ${why}`, {
    hint: hint ?? 'use a glTF 2.0 .glb or .gltf file (e.g. exported from Blender)',
  });

// ---------------------------------------------------------------------------------------------
// GLB container.

/** Packs a glTF JSON document and an optional binary buffer into GLB bytes. */
export function packGlb(json: object, bin?: Uint8Array): Uint8Array {
  const pad = (n: number) => (4 - (n % 4)) % 4;
  const text = new TextEncoder().encode(JSON.stringify(json));
  const jsonLen = text.length + pad(text.length);
  const binLen = bin ? bin.length + pad(bin.length) : 0;
  const total = 12 + 8 + jsonLen + (bin ? 8 + binLen : 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, GLB_MAGIC, true);
  dv.setUint32(4, 2, true);
  dv.setUint32(8, total, true);
  dv.setUint32(12, jsonLen, true);
  dv.setUint32(16, CHUNK_JSON, true);
  out.set(text, 20);
  out.fill(0x20, 20 + text.length, 20 + jsonLen); // JSON chunks pad with spaces
  if (bin) {
    const at = 20 + jsonLen;
    dv.setUint32(at, binLen, true);
    dv.setUint32(at + 4, CHUNK_BIN, true);
    out.set(bin, at + 8);
  }
  return out;
}

/** Splits GLB bytes into the JSON document and the BIN chunk. */
export function unpackGlb(bytes: Uint8Array, file = 'asset'): { json: GltfJson; bin?: Uint8Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 20 || dv.getUint32(0, true) !== GLB_MAGIC)
    throw invalid(file, 'not a GLB file (no glTF magic)');
  if (dv.getUint32(4, true) !== 2) throw invalid(file, `GLB version ${dv.getUint32(4, true)}`);
  const total = Math.min(dv.getUint32(8, true), bytes.length);
  let json: GltfJson | undefined;
  let bin: Uint8Array | undefined;
  for (let at = 12; at + 8 <= total;) {
    const len = dv.getUint32(at, true);
    const type = dv.getUint32(at + 4, true);
    const data = bytes.subarray(at + 8, at + 8 + len);
    if (data.length < len) throw invalid(file, 'truncated GLB chunk');
    if (type === CHUNK_JSON) json = parseJson(new TextDecoder().decode(data), file);
    else if (type === CHUNK_BIN && !bin) bin = data;
    at += 8 + len;
  }
  if (!json) throw invalid(file, 'GLB without a JSON chunk');
  return bin ? { json, bin } : { json };
}

function parseJson(text: string, file: string): GltfJson {
  try {
    return JSON.parse(text) as GltfJson;
  } catch (e) {
    throw invalid(file, `glTF JSON does not parse (${(e as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Self-contained form: external buffers and images become data URIs.

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.bin': 'application/octet-stream',
};

function decodeDataUri(uri: string, file: string): Uint8Array {
  const comma = uri.indexOf(',');
  if (comma < 0) throw invalid(file, 'malformed data URI');
  const head = uri.slice(0, comma);
  const body = uri.slice(comma + 1);
  return head.endsWith(';base64')
    ? new Uint8Array(Buffer.from(body, 'base64'))
    : new TextEncoder().encode(decodeURIComponent(body));
}

function readExternal(uri: string, base: string, file: string): Uint8Array {
  if (/^[a-z]+:/i.test(uri)) throw invalid(file, `external URI ${uri} (only relative files)`);
  const p = join(base, decodeURIComponent(uri));
  try {
    return new Uint8Array(readFileSync(p));
  } catch {
    throw new DatadietError('ASSET_NOT_FOUND', `${file}: cannot read ${uri} (looked for ${p})`, {
      hint: 'keep a .gltf file next to the .bin and image files it names',
    });
  }
}

function selfContained(json: GltfJson, bin: Uint8Array | undefined, file: string) {
  const base = dirname(file);
  const buffers: Uint8Array[] = [];
  let changed = false;
  for (const [i, b] of (json.buffers ?? []).entries()) {
    if (b.uri === undefined) {
      if (i !== 0 || !bin) throw invalid(file, `buffer ${i} has no uri and there is no BIN chunk`);
      buffers.push(bin);
    } else if (b.uri.startsWith('data:')) {
      buffers.push(decodeDataUri(b.uri, file));
    } else {
      const data = readExternal(b.uri, base, file);
      buffers.push(data);
      b.uri = `data:application/octet-stream;base64,${Buffer.from(data).toString('base64')}`;
      changed = true;
    }
  }
  for (const img of json.images ?? []) {
    if (img.uri === undefined || img.uri.startsWith('data:')) continue;
    const data = readExternal(img.uri, base, file);
    const mime = img.mimeType ?? MIME[extname(img.uri).toLowerCase()] ?? 'image/png';
    img.uri = `data:${mime};base64,${Buffer.from(data).toString('base64')}`;
    changed = true;
  }
  return { buffers, changed };
}

// ---------------------------------------------------------------------------------------------
// Node tree and accessors.

type M4 = Float64Array; // column-major, as glTF stores it

function mul(a: M4, b: M4): M4 {
  const o = new Float64Array(16);
  for (let c = 0; c < 4; c++)
    for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[k * 4 + r]! * b[c * 4 + k]!;
      o[c * 4 + r] = s;
    }
  return o;
}

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

function analyse(json: GltfJson, buffers: Uint8Array[], file: string) {
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
    const m = mul(world, localMatrix(n));
    if (n.mesh !== undefined) {
      const mesh = json.meshes?.[n.mesh];
      if (!mesh) throw invalid(file, `node ${i} names missing mesh ${n.mesh}`);
      for (const prim of mesh.primitives) {
        const pos = prim.attributes.POSITION;
        if (pos === undefined) continue;
        const v = readVec3(json, buffers, pos, file);
        for (let k = 0; k < v.length; k += 3) {
          const p: Vec3 = [0, 0, 0];
          for (let r = 0; r < 3; r++)
            p[r] = m[r]! * v[k]! + m[4 + r]! * v[k + 1]! + m[8 + r]! * v[k + 2]! + m[12 + r]!;
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

// ---------------------------------------------------------------------------------------------
// Loading with a cache (assets are read once per process; the sampler is synchronous).

/** ENOENT, EISDIR, EACCES… (or the message): why a read failed, for the error line. */
const errnoOf = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

const cache = new Map<string, LoadedAsset>();
const bySha = new Map<string, Uint8Array>();

/** A cache key that changes when the file does: path, size and modification time. */
function fileKey(abs: string): string {
  try {
    const st = statSync(abs);
    return `${abs}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    return abs; // the read below reports the error
  }
}

/**
 * The cache entry for an input file, built by `make` from its bytes on the first read and again
 * only after the file changed; an unreadable file is ASSET_NOT_FOUND naming `what` and `hint`.
 */
function loadCached<T>(
  cache: Map<string, T>,
  path: string,
  what: string,
  hint: string,
  make: (raw: Uint8Array, abs: string) => T,
): T {
  const abs = resolve(path);
  const key = fileKey(abs);
  const hit = cache.get(key);
  if (hit) return hit;
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(readFileSync(abs));
  } catch (e) {
    throw new DatadietError('ASSET_NOT_FOUND', `cannot read ${what} ${path}: ${errnoOf(e)}`, {
      hint,
      cause: e,
    });
  }
  const entry = make(raw, abs);
  cache.set(key, entry);
  return entry;
}

/** Reads, checks and measures one .glb/.gltf file (cached until the file changes). */
export function loadAssetFile(path: string): LoadedAsset {
  return loadCached(
    cache,
    path,
    'asset',
    'asset paths are relative to the working directory; check objects.assets[].path',
    (raw, abs) => {
      const isGlb =
        raw.length >= 4 &&
        new DataView(raw.buffer, raw.byteOffset).getUint32(0, true) === GLB_MAGIC;
      const { json, bin } = isGlb
        ? unpackGlb(raw, path)
        : { json: parseJson(new TextDecoder().decode(raw), path), bin: undefined };
      if (!json.asset?.version?.startsWith('2')) throw invalid(path, 'is not glTF 2.0');
      const { buffers, changed } = selfContained(json, bin, abs);
      const shipBytes = isGlb && !changed ? raw : packGlb(json, bin);
      const sha256 = createHash('sha256').update(shipBytes).digest('hex');
      const loaded: LoadedAsset = { path: abs, shipBytes, sha256, ...analyse(json, buffers, path) };
      bySha.set(sha256, shipBytes);
      return loaded;
    },
  );
}

/** The .glb/.gltf files an asset entry names: the file itself, or a folder's, sorted. */
export function assetFiles(entryPath: string): string[] {
  let isDir = false;
  try {
    isDir = statSync(entryPath).isDirectory();
  } catch {
    throw new DatadietError('ASSET_NOT_FOUND', `asset path ${entryPath} does not exist`, {
      hint: 'asset paths are relative to the working directory; check objects.assets[].path',
    });
  }
  if (!isDir) return [entryPath];
  const files = (readdirSync(entryPath, { recursive: true }) as string[])
    .filter((f) => /\.(glb|gltf)$/i.test(f))
    .map((f) => join(entryPath, f).split(sep).join('/'))
    .sort();
  if (files.length === 0)
    throw new DatadietError(
      'ASSET_NOT_FOUND',
      `asset folder ${entryPath} holds no .glb or .gltf file`,
      {
        hint: 'point objects.assets[].path at a .glb/.gltf file or a folder of them',
      },
    );
  return files;
}

/** The GLB bytes the page needs for a placed asset (read again and checked if not cached). */
export function assetBytes(asset: { file: string; sha256: string }): Uint8Array {
  const cached = bySha.get(asset.sha256);
  if (cached) return cached;
  const loaded = loadAssetFile(asset.file);
  if (loaded.sha256 !== asset.sha256)
    throw new DatadietError('ASSET_INVALID', `${asset.file} changed since the scene was sampled`, {
      hint: 'rerun generation with the asset files unchanged',
    });
  return loaded.shipBytes;
}

// ---------------------------------------------------------------------------------------------
// Categories and normalisation.

const sizes = new Map<string, number>();

/**
 * The size an asset of this category is scaled to: the longest side of a procedural instance's
 * bounding box (a fixed-seed build), or 1 m for a user category.
 */
export function categorySize(category: string): number {
  const i = categoryIndex(category);
  if (i < 0) return 1;
  let s = sizes.get(category);
  if (s === undefined) {
    const b = objectBounds(CATEGORIES[i]!.build(new Rng(0, `asset-size/${category}`)));
    s = Math.max(b.max[0] - b.min[0], b.max[1] - b.min[1], b.max[2] - b.min[2]);
    sizes.set(category, s);
  }
  return s;
}

/** Label table: the procedural categories, then user asset categories in order of first mention. */
export function categoryTable(spec: Pick<Spec, 'objects'>): {
  index: number;
  name: string;
  diagnostic_part: string | null;
  source: 'procedural' | 'asset';
}[] {
  const table = CATEGORIES.map((c, index) => ({
    index,
    name: c.name,
    diagnostic_part: c.diagnosticPart as string | null,
    source: 'procedural' as 'procedural' | 'asset',
  }));
  for (const a of spec.objects.assets ?? []) {
    if (table.some((c) => c.name === a.category)) continue;
    table.push({ index: table.length, name: a.category, diagnostic_part: null, source: 'asset' });
  }
  return table;
}

/**
 * Places one asset file in the object frame: longest side → category size × entry scale, standing
 * on y = 0, centred over the origin. Returns the record and the hull points in the object frame.
 */
export function placeAsset(opts: { entry: AssetSpec; file: string }): {
  record: AssetRecord;
  hullPoints: Float32Array;
  baseColor: string | null;
} {
  const { entry, file } = opts;
  const a = loadAssetFile(file);
  const { min, max } = a.bounds;
  const extent = Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2]);
  if (!(extent > 0)) throw invalid(file, 'its vertices span no volume');
  const s = (categorySize(entry.category) * entry.scale) / extent;
  const offset: Vec3 = [-s * ((min[0] + max[0]) / 2), -s * min[1], -s * ((min[2] + max[2]) / 2)];
  const tf = (p: Vec3): Vec3 => [s * p[0] + offset[0], s * p[1] + offset[1], s * p[2] + offset[2]];
  let diagnostic: number[] = [];
  if (entry.part_node !== undefined) {
    diagnostic = a.nodesNamed(entry.part_node);
    if (diagnostic.length === 0)
      throw new DatadietError(
        'ASSET_INVALID',
        `${file}: no node or mesh named '${entry.part_node}' in its scene (objects.assets[].part_node)`,
        {
          hint: `nodes: ${a.nodeNames.slice(0, 20).join(', ') || '(unnamed)'}; meshes: ${a.meshNames.slice(0, 20).join(', ') || '(unnamed)'}`,
        },
      );
  }
  const hull = new Float32Array(a.hullPoints.length);
  for (let k = 0; k < hull.length; k += 3) {
    const p = tf([a.hullPoints[k]!, a.hullPoints[k + 1]!, a.hullPoints[k + 2]!]);
    hull.set(p, k);
  }
  return {
    record: {
      source: entry.path,
      file,
      sha256: a.sha256,
      part_node: entry.part_node ?? null,
      diagnostic_nodes: diagnostic,
      normalise: { scale: s, offset },
      bounds: { min: tf(min), max: tf(max) },
      collider: entry.collider,
    },
    hullPoints: hull,
    baseColor: a.baseColor,
  };
}

// ---------------------------------------------------------------------------------------------
// Gaussian-splat captures (drawn by the page with Spark; Node only checks and ships the bytes).

const splats = new Map<
  string,
  { sha256: string; format: 'ply' | 'splat' | 'spz'; bytes: Uint8Array }
>();

/** Reads a splat file (again only when it changed), checks its format's signature, returns its sha256. */
export function loadSplatFile(sp: { path: string; format?: 'ply' | 'splat' | 'spz' | undefined }) {
  return loadCached(
    splats,
    sp.path,
    'splat file',
    'background.splat.path is relative to the working directory',
    (bytes, abs) => {
      const ext = extname(abs).slice(1).toLowerCase();
      const format =
        sp.format ?? (ext === 'ply' || ext === 'splat' || ext === 'spz' ? ext : undefined);
      const bad = (why: string) =>
        new DatadietError('ASSET_INVALID', `splat file ${sp.path}: ${why}`, {
          hint: 'use a 3D Gaussian splatting .ply, an antimatter15 .splat or a Niantic .spz file, or set background.splat.format',
        });
      if (!format) throw bad('unknown format (set background.splat.format: ply, splat or spz)');
      const head = new TextDecoder().decode(bytes.subarray(0, 4));
      if (format === 'ply' && head !== 'ply\n' && head !== 'ply\r') throw bad('no PLY header');
      if (format === 'splat' && (bytes.length === 0 || bytes.length % 32 !== 0))
        throw bad('a .splat file is a whole number of 32-byte records');
      if (format === 'spz' && !(bytes[0] === 0x1f && bytes[1] === 0x8b))
        throw bad('not gzip-compressed');
      const loaded = { sha256: createHash('sha256').update(bytes).digest('hex'), format, bytes };
      bySha.set(loaded.sha256, bytes);
      return loaded;
    },
  );
}

/** The bytes of a splat record's file, for the page. */
export function splatBytes(splat: { source: string; sha256: string }): Uint8Array {
  const cached = bySha.get(splat.sha256);
  if (cached) return cached;
  const loaded = loadSplatFile({ path: splat.source });
  if (loaded.sha256 !== splat.sha256)
    throw new DatadietError(
      'ASSET_INVALID',
      `${splat.source} changed since the scene was sampled`,
      {
        hint: 'rerun generation with the splat file unchanged',
      },
    );
  return loaded.bytes;
}
