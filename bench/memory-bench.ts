/**
 * Peak memory (PSS) of `datadiet generate` as users run it: the CLI in a child process, its
 * whole process tree (Node + every Chromium process) sampled from outside. Generation holds at
 * most two sequences per worker (one being written while the next renders), so memory must not
 * grow with the number of sequences.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tempDir } from '../core/index.ts';
import { loadText, sampleTreeRss, ratioTarget, times, type Log, type Target } from './stats.ts';

export interface GenerateRun {
  sequences: number;
  size: number;
  frames: number;
  perShard: number;
  workers?: number;
}

/** Runs the CLI and returns its process tree's peak memory (PSS, MiB). */
export async function generatePeakRss(run: GenerateRun): Promise<number> {
  const out = await tempDir('bench-mem');
  const args = [
    'bin/datadiet.js',
    'generate',
    '--out',
    out,
    '--sequences',
    String(run.sequences),
    '--frames',
    String(run.frames),
    '--width',
    String(run.size),
    '--height',
    String(run.size),
    '--sequences-per-shard',
    String(run.perShard),
    '--workers',
    String(run.workers ?? 1),
    '--seed',
    '1',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const sampler = sampleTreeRss(child.pid!);
  try {
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const peak = sampler.stop();
    if (code !== 0) throw new Error(`datadiet generate exited with ${code}: ${stderr.trim()}`);
    return peak;
  } finally {
    sampler.stop();
    await rm(out, { recursive: true, force: true });
  }
}

export async function benchMemory(log: Log): Promise<Target[]> {
  const small = { size: 64, frames: 4, perShard: 10 };
  const few = await generatePeakRss({ ...small, sequences: 20 });
  const many = await generatePeakRss({ ...small, sequences: 80 });
  const big = await generatePeakRss({ size: 256, frames: 8, sequences: 4, perShard: 2 });
  log(
    `  generate peak memory (PSS of the process tree incl. Chromium) (${loadText()}): 64²×4 frames: 20 sequences ${few.toFixed(0)} MiB, 80 sequences ${many.toFixed(0)} MiB | 256²×8 frames, 4 sequences: ${big.toFixed(0)} MiB`,
  );
  return [
    ratioTarget({
      name: 'generate memory, 80 vs 20 sequences',
      value: many,
      peer: few,
      threshold: 1.15,
      atMost: true,
      format: times,
      detail: `${many.toFixed(0)} / ${few.toFixed(0)} MiB peak PSS`,
    }),
    {
      name: 'generate peak memory (PSS), 256² × 8 frames',
      verdict: 'INFO',
      detail: `${big.toFixed(0)} MiB (Node + Chromium process tree)`,
    },
  ];
}
