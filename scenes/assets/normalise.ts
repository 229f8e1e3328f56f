import { DatadietError, Rng } from '../../core/index.ts';
import { CATEGORIES, categoryIndex, objectBounds } from '../categories.ts';
import type { AssetSpec, Spec } from '../spec.ts';
import type { AssetRecord, Vec3 } from '../types.ts';
import { invalid } from './glb.ts';
import { loadAssetFile } from './load.ts';

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
