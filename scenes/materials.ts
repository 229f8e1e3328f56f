import type { Rng } from '../core/index.ts';
import type { MaterialRecord, PatternKind } from './types.ts';

const hex = (v: number) =>
  Math.round(Math.min(1, Math.max(0, v)) * 255)
    .toString(16)
    .padStart(2, '0');

/** HSL (h in turns, s and l in [0, 1]) → '#rrggbb'. */
export function hslHex(h: number, s: number, l: number): string {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return `#${hex(f(0))}${hex(f(8))}${hex(f(4))}`;
}

const PATTERNS: readonly PatternKind[] = ['solid', 'stripes', 'checker', 'dots', 'noise'];

/** A saturated object material with a random hue and a procedural pattern in a second colour. */
export function sampleObjectMaterial(rng: Rng, opts: { hue?: number } = {}): MaterialRecord {
  const h = opts.hue ?? rng.next();
  const s = rng.uniform(0.45, 0.9);
  const l = rng.uniform(0.3, 0.6);
  const pattern = rng.pick(PATTERNS);
  const h2 = (h + rng.uniform(0.25, 0.75)) % 1;
  return {
    color: hslHex(h, s, l),
    pattern,
    pattern_color: hslHex(h2, rng.uniform(0.3, 0.9), rng.uniform(0.2, 0.8)),
    pattern_scale: rng.uniform(2, 6),
    pattern_seed: rng.int(0, 0x7fffffff),
    roughness: rng.uniform(0.3, 0.9),
    metalness: rng.bool(0.15) ? rng.uniform(0.3, 0.8) : 0,
  };
}

/** Near-black or near-white accents (eyes, tyres, beaks) so details contrast with the body. */
export function sampleDetailMaterial(rng: Rng): MaterialRecord {
  const dark = rng.bool(0.7);
  return {
    color: hslHex(
      rng.next(),
      rng.uniform(0, 0.3),
      dark ? rng.uniform(0.05, 0.15) : rng.uniform(0.8, 0.95),
    ),
    pattern: 'solid',
    pattern_color: '#000000',
    pattern_scale: 1,
    pattern_seed: 0,
    roughness: rng.uniform(0.2, 0.6),
    metalness: 0,
  };
}

/** Ground materials: each name has its own look, so background identity is a learnable cue. */
const GROUNDS: Record<
  string,
  { h: number; s: [number, number]; l: [number, number]; pattern: PatternKind; contrast: number }
> = {
  grass: { h: 0.28, s: [0.4, 0.6], l: [0.25, 0.38], pattern: 'noise', contrast: 0.12 },
  sand: { h: 0.11, s: [0.35, 0.55], l: [0.62, 0.75], pattern: 'noise', contrast: 0.08 },
  asphalt: { h: 0.6, s: [0.02, 0.08], l: [0.22, 0.32], pattern: 'noise', contrast: 0.1 },
  snow: { h: 0.58, s: [0.05, 0.2], l: [0.86, 0.94], pattern: 'noise', contrast: 0.05 },
  soil: { h: 0.07, s: [0.35, 0.5], l: [0.22, 0.32], pattern: 'noise', contrast: 0.1 },
  tiles: { h: 0.08, s: [0.1, 0.3], l: [0.55, 0.7], pattern: 'checker', contrast: 0.15 },
  gravel: { h: 0.08, s: [0.05, 0.15], l: [0.45, 0.55], pattern: 'noise', contrast: 0.2 },
  moss: { h: 0.22, s: [0.5, 0.7], l: [0.3, 0.4], pattern: 'noise', contrast: 0.08 },
  clay: { h: 0.03, s: [0.5, 0.65], l: [0.4, 0.5], pattern: 'noise', contrast: 0.06 },
  marble: { h: 0.6, s: [0.02, 0.08], l: [0.78, 0.86], pattern: 'checker', contrast: 0.25 },
};

export function sampleGroundMaterial(rng: Rng, name: string): MaterialRecord {
  const g = GROUNDS[name];
  if (!g) throw new Error(`unknown ground ${name}`);
  const h = (g.h + rng.uniform(-0.02, 0.02) + 1) % 1;
  const s = rng.range(g.s);
  const l = rng.range(g.l);
  return {
    color: hslHex(h, s, l),
    pattern: g.pattern,
    pattern_color: hslHex(h, s, Math.max(0, l - g.contrast)),
    // On the ground one texture unit is one metre.
    pattern_scale: g.pattern === 'checker' ? 0.5 : rng.uniform(0.5, 1),
    pattern_seed: rng.int(0, 0x7fffffff),
    roughness: rng.uniform(0.7, 1),
    metalness: 0,
  };
}

/**
 * Signature textures, by category index: with `objects.texture = 'category'` texture becomes a
 * category cue (as on ImageNet, where elephants are wrinkled grey), and a cue-conflict object wears
 * another category's signature. Pattern × hue pairs are chosen to be told apart at 32².
 */
const SIGNATURES: readonly { pattern: PatternKind; hue: number; hue2: number; l: number }[] = [
  { pattern: 'noise', hue: 0.07, hue2: 0.09, l: 0.35 }, // quadruped: brown fur
  { pattern: 'stripes', hue: 0.6, hue2: 0.12, l: 0.45 }, // bird: blue/yellow bars
  { pattern: 'checker', hue: 0.0, hue2: 0.0, l: 0.45 }, // vehicle: red/black check
  { pattern: 'dots', hue: 0.33, hue2: 0.15, l: 0.4 }, // chair: green, yellow dots
  { pattern: 'stripes', hue: 0.14, hue2: 0.75, l: 0.55 }, // lamp: yellow/purple bars
  { pattern: 'dots', hue: 0.8, hue2: 0.5, l: 0.45 }, // tree: purple, cyan dots
  { pattern: 'checker', hue: 0.5, hue2: 0.55, l: 0.5 }, // cup: cyan check
  { pattern: 'noise', hue: 0.93, hue2: 0.97, l: 0.6 }, // fish: pink mottle
  { pattern: 'stripes', hue: 0.0, hue2: 0.6, l: 0.85 }, // airplane: white/blue bars
  { pattern: 'checker', hue: 0.25, hue2: 0.08, l: 0.4 }, // table: olive/orange check
];

export function signatureMaterial(rng: Rng, categoryIndex: number): MaterialRecord {
  const sig = SIGNATURES[categoryIndex % SIGNATURES.length]!;
  const jitter = () => rng.uniform(-0.015, 0.015);
  const l = Math.min(0.9, Math.max(0.1, sig.l + rng.uniform(-0.05, 0.05)));
  return {
    color: hslHex((sig.hue + jitter() + 1) % 1, rng.uniform(0.6, 0.85), l),
    pattern: sig.pattern,
    pattern_color: hslHex(
      (sig.hue2 + jitter() + 1) % 1,
      rng.uniform(0.5, 0.8),
      sig.pattern === 'noise' ? l * 0.6 : 1 - l,
    ),
    pattern_scale: rng.uniform(3, 4),
    pattern_seed: rng.int(0, 0x7fffffff),
    roughness: rng.uniform(0.5, 0.8),
    metalness: 0,
  };
}
