/**
 * Small helpers shared by the benchmarks: medians, machine load, process-tree memory, and the
 * target table that `npm run bench` ends with (ratio against a peer measured in the same run).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export type Log = (line: string) => void;

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** "load 1.23 / 1.50 / 1.80": timings move with it, so every section prints it. */
export const loadText = () =>
  `load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')}`;

export interface CpuTimes {
  busy: number;
  all: number;
}

/**
 * Busy and total time of all cores so far (every process on the machine, from os.cpus()). The
 * busy share between two readings taken while one render worker runs shows what it leaves idle
 * for a second one.
 */
export function cpuTimes(): CpuTimes {
  let busy = 0;
  let all = 0;
  for (const { times: t } of cpus()) {
    busy += t.user + t.nice + t.sys + t.irq;
    all += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, all };
}

export const busyShare = (a: CpuTimes, b: CpuTimes) =>
  (b.busy - a.busy) / Math.max(1, b.all - a.all);

/**
 * Steady-state rate from completion times: the median over sliding windows of `window` events of
 * units / seconds. Robust to one slow event (a GC pause, a neighbour's burst of load).
 */
export function windowRate(times: number[], unitsPerEvent: number, window: number): number {
  const rates: number[] = [];
  for (let i = window; i < times.length; i++)
    rates.push((window * unitsPerEvent) / ((times[i]! - times[i - window]!) / 1000));
  return median(rates);
}

function children(): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may itself hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = kids.get(ppid) ?? [];
      list.push(Number(d));
      kids.set(ppid, list);
    } catch {
      // the process exited while we looked
    }
  }
  return kids;
}

/**
 * Proportional set size (kB): resident pages, each shared page split between its sharers, so a
 * tree of Chromium processes sharing libraries is not counted several times. RSS where the kernel
 * has no smaps_rollup.
 */
function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // fall through to RSS
  }
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident memory (MiB, PSS) of a process and all its descendants (Chromium's processes too). */
export function treeRssMiB(root: number): number {
  const kids = children();
  let kb = 0;
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    kb += pssKb(p);
    stack.push(...(kids.get(p) ?? []));
  }
  return kb / 1024;
}

/** Samples a process tree's memory (PSS) every `ms` until stopped; returns the peak in MiB. */
export function sampleTreeRss(root: number, ms = 250) {
  let peak = 0;
  const tick = () => (peak = Math.max(peak, treeRssMiB(root)));
  const timer = setInterval(tick, ms);
  return {
    stop(): number {
      clearInterval(timer);
      tick();
      return peak;
    },
  };
}

/**
 * This process's peak RSS since the last reset, in MiB (Linux VmHWM; the reset writes 5 to
 * clear_refs). Returns null where /proc does not offer it.
 */
export const selfPeak = {
  reset(): boolean {
    try {
      writeFileSync('/proc/self/clear_refs', '5');
      return true;
    } catch {
      return false;
    }
  },
  read(): number | null {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
      return m ? Number(m[1]) / 1024 : null;
    } catch {
      return null;
    }
  },
};

export type Verdict = 'PASS' | 'MISS' | 'SKIP' | 'INFO';

export interface Target {
  name: string;
  verdict: Verdict;
  /** e.g. "86 % (end to end 12.1 / render-only 14.0 pairs/s)" or the reason for a SKIP */
  detail: string;
}

/** A ratio target: value / peer ≥ threshold (or ≤ threshold with `atMost`). */
export function ratioTarget(opts: {
  name: string;
  value: number;
  peer: number;
  threshold: number;
  atMost?: boolean;
  format: (ratio: number) => string;
  detail: string;
}): Target {
  const ratio = opts.value / opts.peer;
  const ok =
    Number.isFinite(ratio) && (opts.atMost ? ratio <= opts.threshold : ratio >= opts.threshold);
  return {
    name: opts.name,
    verdict: ok ? 'PASS' : 'MISS',
    detail: `${opts.format(ratio)} (target ${opts.atMost ? '≤' : '≥'} ${opts.format(opts.threshold)}; ${opts.detail})`,
  };
}

export const pct = (r: number) => `${(100 * r).toFixed(0)} %`;
export const times = (r: number) => `${r.toFixed(2)}×`;

export function printTargets(log: Log, targets: Target[]): void {
  const w = Math.max(...targets.map((t) => t.name.length));
  log('');
  log('Targets (issue 6):');
  for (const t of targets) log(`  ${t.verdict.padEnd(4)}  ${t.name.padEnd(w)}  ${t.detail}`);
}
