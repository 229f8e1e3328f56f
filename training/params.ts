/**
 * Named trainable variables with seeded initial values. Initial values are drawn in JS from the
 * project's Rng (one stream per variable name), so a seed gives the same weights on every backend
 * and adding a variable never changes another's values.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/index.ts';

export type Init =
  | { kind: 'zeros' }
  | { kind: 'constant'; value: number }
  /** Keras' default: uniform in ±sqrt(6 / (fanIn + fanOut)). */
  | { kind: 'glorot'; fanIn: number; fanOut: number };

export class Params {
  readonly vars = new Map<string, tf.Variable>();

  constructor(private readonly rng: Rng) {}

  /**
   * A non-trainable variable (running statistics): saved and restored with the weights, never
   * given to the optimizer (tfjs leaves variables with trainable = false out of minimize).
   */
  state(name: string, shape: number[], init: Init): tf.Variable {
    return this.add(name, shape, init, false);
  }

  add(name: string, shape: number[], init: Init, trainable = true): tf.Variable {
    if (this.vars.has(name)) throw new Error(`params: '${name}' defined twice`);
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    if (init.kind === 'constant') values.fill(init.value);
    else if (init.kind === 'glorot') {
      const r = this.rng.fork(name);
      const limit = Math.sqrt(6 / (init.fanIn + init.fanOut));
      for (let i = 0; i < n; i++) values[i] = r.uniform(-limit, limit);
    }
    // Unique tfjs names: two models (say trained and untrained) may live in one process.
    const v = tf.variable(tf.tensor(values, shape), trainable, `${name}#${nextId++}`);
    this.vars.set(name, v);
    return v;
  }

  /** A conv kernel [k, k, ci, co] with zero bias (Keras defaults, PROBES' PredNet trap 2). */
  conv(name: string, k: number, ci: number, co: number): { w: tf.Variable; b: tf.Variable } {
    return {
      w: this.add(`${name}/kernel`, [k, k, ci, co], {
        kind: 'glorot',
        fanIn: k * k * ci,
        fanOut: k * k * co,
      }),
      b: this.add(`${name}/bias`, [co], { kind: 'zeros' }),
    };
  }

  dense(name: string, ci: number, co: number): { w: tf.Variable; b: tf.Variable } {
    return {
      w: this.add(`${name}/kernel`, [ci, co], { kind: 'glorot', fanIn: ci, fanOut: co }),
      b: this.add(`${name}/bias`, [co], { kind: 'zeros' }),
    };
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (v === undefined) throw new Error(`params: no '${name}'`);
    return v;
  }

  list(): tf.Variable[] {
    return [...this.vars.values()];
  }

  count(): number {
    return this.list().reduce((a, v) => a + v.size, 0);
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let nextId = 0;
