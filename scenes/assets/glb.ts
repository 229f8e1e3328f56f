/** The GLB container (pack, unpack), the glTF JSON shape this code reads, and its error. */
import { DatadietError } from '../../core/index.ts';

export const GLB_MAGIC = 0x46546c67; // 'glTF'
const CHUNK_JSON = 0x4e4f534a;
const CHUNK_BIN = 0x004e4942;

/** A glTF document as JSON (only the fields read here are typed). */
export interface GltfJson {
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

export const invalid = (file: string, why: string, hint?: string) =>
  new DatadietError('ASSET_INVALID', `${file}: ${why}`, {
    hint: hint ?? 'use a glTF 2.0 .glb or .gltf file (e.g. exported from Blender)',
  });

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

export function parseJson(text: string, file: string): GltfJson {
  try {
    return JSON.parse(text) as GltfJson;
  } catch (e) {
    throw invalid(file, `glTF JSON does not parse (${(e as Error).message})`);
  }
}
