import { xoroshiro128plus, type RandomGenerator } from 'pure-rand';

/** FNV-1a over a string: stable across platforms, used only to derive sub-seeds from labels. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Explicit, seeded random numbers. Every stochastic choice takes an Rng; `fork(label)` derives an
 * independent stream from the root seed and a label path, so adding a draw in one place (say the
 * camera) never shifts the numbers drawn elsewhere (say the objects).
 */
export class Rng {
  private readonly gen: RandomGenerator;
  /** The 32-bit seed of this stream, derived from the root seed and the label path. */
  readonly streamSeed: number;

  constructor(
    readonly seed: number,
    readonly path: string = '',
  ) {
    this.streamSeed = hash32(`${seed}:${path}`);
    this.gen = xoroshiro128plus(this.streamSeed ^ (seed | 0));
  }

  fork(label: string | number): Rng {
    return new Rng(this.seed, `${this.path}/${label}`);
  }

  /** Uniform in [0, 1) with 53 random bits. */
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
