/** A run's `metrics.jsonl`: one JSON object per optimisation step, written by `train`. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const METRICS_FILE = 'metrics.jsonl';

export interface RunMetric {
  step: number;
  loss: number;
  images_per_s?: number;
  /** Objective-specific figures (Δ-values, r², …) logged every `--log-every` steps. */
  [key: string]: unknown;
}

/** The run's metric lines in order; [] when the run has none yet. Unparseable lines are skipped. */
export async function readRunMetrics(runDir: string): Promise<RunMetric[]> {
  let text: string;
  try {
    text = await readFile(join(runDir, METRICS_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: RunMetric[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const m = JSON.parse(line) as RunMetric;
      if (typeof m.step === 'number') out.push(m);
    } catch {
      // a line cut short by an older, non-atomic writer
    }
  }
  return out;
}
