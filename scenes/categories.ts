/**
 * The category registry: procedural objects built from primitives, each with one named diagnostic
 * part (the synthetic analogue of ClickMe maps: people recognise animals by faces and cars by
 * wheels). A category's index in CATEGORIES is its label, so the order is a contract: append only.
 *
 * One file per category under categories/ (its builder and its entry); `categories/shapes.ts` has
 * the part constructors, `categories/bounds.ts` the bounds and `settle`.
 *
 * Object frame (see CategoryDef): y up, front +x, right +z (x forward × y up), metres, about 1 m
 * overall. Builders draw every proportion from the rng; `settle` then puts the lowest point on
 * y = 0 and centres the footprint's bounding box on the origin.
 */

import type { CategoryDef } from './types.ts';
import { airplane } from './categories/airplane.ts';
import { bird } from './categories/bird.ts';
import { chair } from './categories/chair.ts';
import { cup } from './categories/cup.ts';
import { fish } from './categories/fish.ts';
import { lamp } from './categories/lamp.ts';
import { quadruped } from './categories/quadruped.ts';
import { table } from './categories/table.ts';
import { tree } from './categories/tree.ts';
import { vehicle } from './categories/vehicle.ts';

export { objectBounds, partBounds } from './categories/bounds.ts';

/** Index = label; append new categories at the end only. */
export const CATEGORIES: readonly CategoryDef[] = Object.freeze([
  quadruped,
  bird,
  vehicle,
  chair,
  lamp,
  tree,
  cup,
  fish,
  airplane,
  table,
]);

export const CATEGORY_NAMES: readonly string[] = Object.freeze(CATEGORIES.map((c) => c.name));

/** The label of a category, or −1 if unknown. */
export function categoryIndex(name: string): number {
  return CATEGORY_NAMES.indexOf(name);
}
