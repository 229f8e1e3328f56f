import { xoroshiro128plus, type RandomGenerator } from 'pure-rand';

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64's finaliser (Stafford variant 13): a bijection on 64 bits with full avalanche. */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

const GOLDEN = 0x9e3779b97f4a7c15n;

/**
 * A 64-bit key for (seed, label path): every UTF-16 unit goes through the full mixer, so paths
 * that differ in one character (`object/0`, `object/1`) get unrelated keys. A 32-bit FNV hash here
 * gave sibling streams nearly equal seeds and correlated first draws (issue 18).
 */
function streamKey(text: string): bigint {
  let h = mix64(BigInt(text.length) ^ GOLDEN);
  for (let i = 0; i < text.length; i++) {
    h = mix64((h + GOLDEN + BigInt(text.charCodeAt(i))) & MASK64);
  }
  return h;
}

/** SplitMix64 from `key`: the 128-bit xoroshiro state as four 32-bit words, never all zero. */
function stateFromKey(key: bigint): [number, number, number, number] {
  const a = mix64((key + GOLDEN) & MASK64);
  const b = mix64((key + 2n * GOLDEN) & MASK64);
  const words: [number, number, number, number] = [
    Number(a >> 32n) | 0,
    Number(a & 0xffffffffn) | 0,
    Number(b >> 32n) | 0,
    Number(b & 0xffffffffn) | 0,
  ];
  if (words.every((w) => w === 0)) words[3] = 1;
  return words;
}

/**
 * Explicit, seeded random numbers. Every stochastic choice takes an Rng; `fork(label)` derives an
 * independent stream from the root seed and a label path, so adding a draw in one place (say the
 * camera) never shifts the numbers drawn elsewhere (say the objects). Each stream's whole 128-bit
 * state comes from a 64-bit hash of `seed:path` through SplitMix64, so sibling streams are
 * statistically independent by construction (core/rng.test.ts measures it).
 */
export class Rng {
  private readonly gen: RandomGenerator;
  /** A 32-bit seed for this stream (for records and tools that take one number). */
  readonly streamSeed: number;

  constructor(
    readonly seed: number,
    readonly path: string = '',
  ) {
    const key = streamKey(`${seed}:${path}`);
    this.streamSeed = Number(mix64(key ^ 0x5eedn) >> 32n);
    this.gen = xoroshiro128plus.fromState(stateFromKey(key));
  }

  fork(label: string | number): Rng {
    return new Rng(this.seed, `${this.path}/${label}`);
  }

  /** Uniform in [0, 1) with 53 random bits (the high bits of two outputs: xoroshiro128+'s low bits are weak). */
  next(): number {
    const hi = this.gen.unsafeNext() >>> 5; // 27 bits
    const lo = this.gen.unsafeNext() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick on an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Standard normal (Box–Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Draw from a [min, max] range given as a pair (a fixed value is allowed as [v, v]). */
  range(r: readonly [number, number]): number {
    return this.uniform(r[0], r[1]);
  }
}
