import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { DatadietError } from '../../core/index.ts';
import type { Vec3 } from '../types.ts';
import { bySha, loadCached } from './cache.ts';
import { analyse } from './geometry.ts';
import { GLB_MAGIC, invalid, packGlb, parseJson, unpackGlb } from './glb.ts';
import { selfContained } from './self-contained.ts';

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

const cache = new Map<string, LoadedAsset>();

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
