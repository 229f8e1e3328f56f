/**
 * Checkpoints in the tfjs weights format: `model.json` (a `weightsManifest` tfjs readers
 * understand, plus the objective and config that rebuild the model) beside `weights.bin`, and the
 * Adam state in `optimizer.bin` so a resumed run continues where it stopped. Each checkpoint is
 * written to a temp folder and renamed, so a killed run never leaves half of one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DatadietError } from '../core/index.ts';
import type { TrainConfig } from './config.ts';
import type { LoaderState } from './loader.ts';
import type { ModelShape } from './objective.ts';
import type { Params } from './params.ts';

type NamedTensor = { name: string; tensor: tf.Tensor };

export const CHECKPOINT_FORMAT = 'datadiet-checkpoint/1.0';
export const CHECKPOINTS_DIR = 'checkpoints';

export interface CheckpointMeta {
  format: string;
  step: number;
  objective: string;
  config: TrainConfig;
  shape: ModelShape;
  backend: string;
  /** Where the data loader stood after this step's batch: a resume continues from here. */
  loader?: LoaderState;
  /** What the loader read: 'dataset', or 'stream:<spec fingerprint>'. */
  source?: string;
}

interface WeightGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
  sha256: string;
}

interface ModelJson {
  format: string;
  generatedBy: string;
  modelTopology: CheckpointMeta;
  weightsManifest: WeightGroup[];
  optimizer?: WeightGroup;
}

export const checkpointName = (step: number) => `step-${String(step).padStart(8, '0')}`;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function encodeGroup(named: NamedTensor[], file: string) {
  const { data, specs } = await tf.io.encodeWeights(named);
  const bytes = new Uint8Array(data);
  return { bytes, group: { paths: [file], weights: specs, sha256: sha256(bytes) } };
}

/** Writes `<runDir>/checkpoints/step-N/`; returns its path. */
export async function saveCheckpoint(opts: {
  runDir: string;
  meta: CheckpointMeta;
  params: Params;
  optimizer?: tf.Optimizer;
}): Promise<string> {
  const root = join(opts.runDir, CHECKPOINTS_DIR);
  const final = join(root, checkpointName(opts.meta.step));
  const tmp = `${final}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const w = await encodeGroup(
    [...opts.params.vars.entries()].map(([name, tensor]) => ({ name, tensor })),
    'weights.bin',
  );
  await writeFile(join(tmp, 'weights.bin'), w.bytes);
  const json: ModelJson = {
    format: CHECKPOINT_FORMAT,
    generatedBy: 'datadiet',
    modelTopology: opts.meta,
    weightsManifest: [w.group],
  };
  if (opts.optimizer) {
    const o = await encodeGroup(
      [...(await opts.optimizer.getWeights()), ...adamPowers(opts.optimizer)],
      'optimizer.bin',
    );
    await writeFile(join(tmp, 'optimizer.bin'), o.bytes);
    json.optimizer = o.group;
  }
  await writeFile(join(tmp, 'model.json'), `${JSON.stringify(json, null, 1)}\n`);
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  return final;
}

export interface LoadedCheckpoint {
  dir: string;
  meta: CheckpointMeta;
  weights: tf.NamedTensorMap;
  /** In getWeights() order (setWeights matches by position). */
  optimizer: NamedTensor[] | undefined;
  /** Adam's running β₁ᵗ, β₂ᵗ as they were (absent in older checkpoints). */
  adamPowers?: NamedTensor[];
}

// tfjs Adam keeps β₁ᵗ and β₂ᵗ as running products, but setWeights recomputes them with pow(),
// which can differ in the last bit: save the products themselves so a resume is exact.
const ADAM_POWERS = ['datadiet/adam/accBeta1', 'datadiet/adam/accBeta2'] as const;
type AdamInternals = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

function adamPowers(optimizer: tf.Optimizer): NamedTensor[] {
  const a = optimizer as unknown as AdamInternals;
  if (!(a.accBeta1 instanceof tf.Variable) || !(a.accBeta2 instanceof tf.Variable)) return [];
  return [
    { name: ADAM_POWERS[0], tensor: a.accBeta1 },
    { name: ADAM_POWERS[1], tensor: a.accBeta2 },
  ];
}

/** Restores an optimizer's state bit for bit (moments, iteration count and Adam's β powers). */
export async function restoreOptimizer(
  optimizer: tf.Optimizer,
  ck: Pick<LoadedCheckpoint, 'optimizer' | 'adamPowers'>,
): Promise<void> {
  if (!ck.optimizer) return;
  await optimizer.setWeights(ck.optimizer);
  const a = optimizer as unknown as AdamInternals;
  const [b1, b2] = ck.adamPowers ?? [];
  if (b1 && b2 && a.accBeta1 instanceof tf.Variable && a.accBeta2 instanceof tf.Variable) {
    a.accBeta1.assign(b1.tensor as tf.Scalar);
    a.accBeta2.assign(b2.tensor as tf.Scalar);
  }
  tf.dispose(ck.adamPowers?.map((p) => p.tensor) ?? []);
}

function corrupt(dir: string, what: string, cause?: unknown) {
  return new DatadietError('CHECKPOINT_CORRUPT', `${dir}: ${what}`, {
    hint: 'delete this checkpoint folder to resume from the one before it, or start a new --out',
    cause,
  });
}

async function readGroup(dir: string, g: WeightGroup) {
  const file = g.paths[0];
  if (g.paths.length !== 1 || file === undefined || !/^[\w.-]+$/.test(file)) {
    throw corrupt(dir, 'weightsManifest paths must name one file in the folder');
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, file));
  } catch (e) {
    throw corrupt(dir, `cannot read ${file}`, e);
  }
  if (sha256(bytes) !== g.sha256) throw corrupt(dir, `${file} does not match its checksum`);
  const buf = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  try {
    return tf.io.decodeWeights(buf, g.weights);
  } catch (e) {
    throw corrupt(dir, `${file} does not decode: ${(e as Error).message}`, e);
  }
}

/** Reads one checkpoint folder (the one holding model.json). */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatadietError('CHECKPOINT_CORRUPT', `${dir} has no model.json`, {
        hint: 'pass a checkpoint folder (RUN/checkpoints/step-N) written by `datadiet train`',
        cause: e,
      });
    }
    throw corrupt(dir, 'model.json is not valid JSON', e);
  }
  if (json.format !== CHECKPOINT_FORMAT || !Array.isArray(json.weightsManifest)) {
    throw corrupt(dir, `model.json is not a ${CHECKPOINT_FORMAT} checkpoint`);
  }
  const weights: tf.NamedTensorMap = {};
  for (const g of json.weightsManifest) Object.assign(weights, await readGroup(dir, g));
  let optimizer: NamedTensor[] | undefined;
  let powers: NamedTensor[] | undefined;
  if (json.optimizer) {
    const map = await readGroup(dir, json.optimizer);
    // Adam's setWeights matches by position: keep the saved order.
    const all = json.optimizer.weights.map((s) => ({
      name: s.name,
      tensor: map[s.name] as tf.Tensor,
    }));
    const isPower = (n: NamedTensor) => (ADAM_POWERS as readonly string[]).includes(n.name);
    optimizer = all.filter((n) => !isPower(n));
    powers = all.filter(isPower);
  }
  return {
    dir,
    meta: json.modelTopology,
    weights,
    optimizer,
    ...(powers?.length ? { adamPowers: powers } : {}),
  };
}

/** The newest checkpoint folder of a run, or null when it has none. */
export async function latestCheckpoint(runDir: string): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(join(runDir, CHECKPOINTS_DIR));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const steps = names.filter((n) => /^step-\d{8}$/.test(n)).sort();
  const last = steps[steps.length - 1];
  return last === undefined ? null : join(runDir, CHECKPOINTS_DIR, last);
}

/**
 * Removes checkpoint temp folders (`step-N.tmp-PID`) that a killed run left behind: those of
 * processes that are gone, and this process's own (a reused PID, e.g. PID 1 in a container).
 */
export async function removeStaleCheckpointTemps(runDir: string): Promise<string[]> {
  const root = join(runDir, CHECKPOINTS_DIR);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^step-\d{8}\.tmp-(\d+)$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && isAlive(pid)) continue; // another run is writing it right now
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Copies checkpoint weights into a model's variables; MODEL_DATA_MISMATCH on any shape change. */
export function assignWeights(params: Params, weights: tf.NamedTensorMap, source: string): void {
  for (const [name, v] of params.vars) {
    const w = weights[name];
    if (w === undefined || w.shape.join() !== v.shape.join()) {
      throw new DatadietError(
        'MODEL_DATA_MISMATCH',
        `${source}: weight '${name}' is ${w ? `[${w.shape.join(',')}]` : 'missing'}, the model needs [${v.shape.join(',')}]`,
        { hint: 'the checkpoint was trained with a different model configuration' },
      );
    }
    v.assign(w);
  }
}
