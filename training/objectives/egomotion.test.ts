/**
 * Where egomotion's targets come from: the dataset manifest's motion column names, looked up by
 * name (the compiled-in MOTION_COLUMNS only for a model rebuilt from a checkpoint).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DatadietError, Rng } from '../../core/index.ts';
import { buildManifest } from '../../generator/index.ts';
import { resolveSpec, motionColumnIndices } from '../../scenes/index.ts';
import { TrainConfigSchema } from '../config.ts';
import { dataInfoOf } from '../loader.ts';
import {
  WRITTEN_MOTION_COLUMNS,
  createEgomotion,
  egomotionObjective,
  targetColumns,
} from './egomotion.ts';

const config = TrainConfigSchema.parse({
  objective: 'egomotion',
  steps: 1,
  egomotion: { targets: ['heading', 'head_angvel'] },
  encoder: { width: 2, depth: 1, embedding: 4 },
});

describe('egomotion reads the manifest motion columns', () => {
  it("a generated manifest's columns give the compiled-in lookup", async () => {
    const spec = await resolveSpec({
      overrides: { sequences: 1, frames: 3, width: 16, height: 16 },
    });
    const m = buildManifest({ spec, generatorVersion: 't', fingerprint: 'f', shards: [] });
    const { motionColumns } = dataInfoOf(m, '(built)');
    expect(motionColumns).toEqual(WRITTEN_MOTION_COLUMNS);
    const { groups } = targetColumns(['heading', 'head_angvel', 'gravity'], motionColumns);
    expect(groups.map((g) => g.source)).toEqual([
      motionColumnIndices(['head_vel']),
      motionColumnIndices(['head_angvel']),
      motionColumnIndices(['gravity']),
    ]);
  });

  it('follows the columns by name when a dataset orders them differently', async () => {
    await tf.setBackend('cpu');
    const n = WRITTEN_MOTION_COLUMNS.length;
    const reversed = [...WRITTEN_MOTION_COLUMNS].reverse();
    const rows = tf.randomUniform([2, 3, n], -1, 1, 'float32', 5) as tf.Tensor3D;
    // The same rows with the columns in the reversed dataset's order.
    const rowsReversed = tf.reverse(rows, 2) as tf.Tensor3D;
    const plain = createEgomotion(config, new Rng(0, 'test'));
    const other = createEgomotion(config, new Rng(0, 'test'), reversed);
    expect(other.columns).toEqual(plain.columns);
    const a = plain.targets(rows).arraySync();
    const b = other.targets(rowsReversed).arraySync();
    expect(b).toEqual(a);
    // A motion array that does not have the manifest's column count is refused.
    expect(() => other.targets(rows.slice([0, 0, 0], [2, 3, n - 1]))).toThrow(DatadietError);
    tf.dispose([rows, rowsReversed]);
    plain.params.dispose();
    other.params.dispose();
  });

  it('refuses a dataset whose columns lack a target, naming it (MODEL_DATA_MISMATCH)', () => {
    const noRotation = WRITTEN_MOTION_COLUMNS.filter((c) => !c.startsWith('head_angvel'));
    let err: unknown;
    try {
      egomotionObjective.create({
        config,
        shape: { height: 16, width: 16, numClasses: 0 },
        rng: new Rng(0, 'test'),
        motionColumns: noRotation,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatadietError);
    expect((err as DatadietError).code).toBe('MODEL_DATA_MISMATCH');
    expect((err as DatadietError).message).toMatch(/targets head_angvel are not among/);
    expect(() => targetColumns(['heading'], ['gravity_x'])).toThrow(/heading \(head_vel\)/);
  });
});
