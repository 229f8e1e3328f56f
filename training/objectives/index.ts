/** The objective registry: an explicit array, looked up by name. */
import { DatadietError } from '../../core/index.ts';
import type { Objective } from '../objective.ts';
import { egomotionObjective } from './egomotion.ts';
import { prednetObjective } from './prednet.ts';
import { sfaObjective } from './sfa.ts';
import { sfaLinearObjective } from './sfa-linear.ts';
import { supervisedObjective } from './supervised.ts';

export const OBJECTIVES: readonly Objective[] = [
  sfaObjective,
  prednetObjective,
  supervisedObjective,
  sfaLinearObjective,
  egomotionObjective,
];

export function findObjective(name: string): Objective {
  const o = OBJECTIVES.find((x) => x.name === name);
  if (o === undefined) {
    throw new DatadietError('OBJECTIVE_UNKNOWN', `objective: unknown objective "${name}"`, {
      hint: `use one of ${OBJECTIVES.map((x) => x.name).join(', ')}`,
      field: { config: 'train', path: 'objective' },
    });
  }
  return o;
}
