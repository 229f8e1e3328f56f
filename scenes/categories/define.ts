import type { CategoryDef } from '../types.ts';
import { settle } from './bounds.ts';

/** A category from its builder; every built object is settled (standing on y = 0, centred). */
export function define(def: CategoryDef): CategoryDef {
  return { ...def, build: (rng) => settle(def.build(rng)) };
}
