import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/index.ts';
import { isDatadietError } from '../core/index.ts';
import { verifyDataset, shardFileMatches } from '../output/index.ts';
import type { GenerateEvent } from './generate.ts';
import { generateTiny, shardHashes, tempDir } from './test-helpers.ts';

// One shard of three sequences, so a fault after the first sequence lands mid-shard.
const SPEC = { sequences: 3, sequences_per_shard: 3, frames: 2, width: 32, height: 32, seed: 31 };

/**
 * Chromium processes started by this process (its browsers' main processes). Synchronous, so a
 * fault injected from an event handler lands before the generator renders the next sequence.
 */
function myBrowserPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /chrom/i.test(comm)) pids.push(Number(name));
    } catch {
      // the process exited while we looked
    }
  }
  return pids;
}

/** No temp files, and every tar has a sidecar that vouches for it. */
async function expectNoTornShards(out: string) {
  const names = await readdir(join(out, 'shards'));
  expect(names.filter((n) => n.includes('.tmp-'))).toEqual([]);
  for (const tar of names.filter((n) => n.endsWith('.tar'))) {
    const sidecar = JSON.parse(
      await readFile(join(out, 'shards', tar.replace(/\.tar$/, '.json')), 'utf8'),
    ) as { record: { bytes: number; sha256: string } };
    expect(await shardFileMatches(join(out, 'shards', tar), sidecar.record)).toBe(true);
  }
  return names;
}

describe('browser faults during generateDataset', () => {
  let baseline: string[];
  const dirs: string[] = [];

  beforeAll(async () => {
    const { out } = await generateTiny(SPEC);
    dirs.push(out);
    baseline = await shardHashes(out);
  });
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('a browser killed mid-shard is restarted, the shard redone, and verify passes', async () => {
    const events: GenerateEvent[] = [];
    let killed = false;
    const { out, result } = await generateTiny(SPEC, {
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'sequence' && !killed) {
          killed = true;
          const pids = myBrowserPids();
          expect(pids).toHaveLength(1);
          process.kill(pids[0]!, 'SIGKILL');
        }
      },
    });
    dirs.push(out);
    const retries = events.filter((e) => e.type === 'retry');
    expect(retries).toEqual([
      { type: 'retry', shard: 0, attempt: 1, reason: expect.stringMatching(/^rendering sequence/) },
    ]);
    // The redone shard starts again from its first sequence.
    const seqs = events.flatMap((e) => (e.type === 'sequence' ? [e.index] : []));
    expect(seqs.slice(-3)).toEqual([0, 1, 2]);
    expect(result.manifest).not.toBeNull();
    expect(await shardHashes(out)).toEqual(baseline);
    await expectNoTornShards(out);
    expect((await verifyDataset(out)).problems).toEqual([]);
  });

  it('a hung browser (SIGSTOP) hits the sequence timeout, is killed and the shard redone', async () => {
    const stopped: number[] = [];
    const events: GenerateEvent[] = [];
    try {
      const { out } = await generateTiny(SPEC, {
        sequenceTimeoutMs: 6000,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'sequence' && stopped.length === 0) {
            stopped.push(...myBrowserPids());
            expect(stopped).toHaveLength(1);
            process.kill(stopped[0]!, 'SIGSTOP');
          }
        },
      });
      dirs.push(out);
      expect(events.filter((e) => e.type === 'retry')).toEqual([
        { type: 'retry', shard: 0, attempt: 1, reason: expect.stringMatching(/took over 6 s/) },
      ]);
      expect(await shardHashes(out)).toEqual(baseline);
      expect((await verifyDataset(out)).problems).toEqual([]);
      // The frozen browser was killed, not left behind.
      expect(stopped.filter(existsProc)).toEqual([]);
    } finally {
      for (const pid of stopped.filter(existsProc)) process.kill(pid, 'SIGKILL');
    }
  });

  it('N consecutive failures give one clear error and leave nothing looking complete', async () => {
    const events: GenerateEvent[] = [];
    const out = await tempDir('giveup');
    dirs.push(out);
    // A 1 ms budget per sequence: every attempt "hangs".
    const err = await generateTiny(SPEC, {
      out,
      sequenceTimeoutMs: 1,
      maxRetries: 1,
      onEvent: (e) => events.push(e),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDatadietError(err)).toBe(true);
    if (!isDatadietError(err)) return;
    expect(err.code).toBe('RENDER_FAILED');
    expect(err.format()).toMatch(
      /^error\[RENDER_FAILED\]: shard 0 failed 2 times in a row \(browser crashed or hung\), giving up; last: rendering sequence 0 failed: sequence 0 took over 0\.001 s \(fix: rerun the same command/,
    );
    expect(err.format()).not.toContain('\n');
    expect(
      events.filter((e) => e.type === 'retry').map((e) => e.type === 'retry' && e.attempt),
    ).toEqual([1]);
    expect(await readdir(join(out, 'shards'))).toEqual([]);
    expect((await readdir(out)).includes('manifest.json')).toBe(false);
    expect(myBrowserPids()).toEqual([]);
  });
});

function existsProc(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A tiny tmpfs: real ENOSPC from the kernel. Needs root (CAP_SYS_ADMIN); skipped otherwise. */
const mnt = join('/tmp', `datadiet-full-${process.pid}`);
const mountTiny = () =>
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', mnt], { stdio: 'ignore' });
const canMount = (() => {
  try {
    mkdirSync(mnt, { recursive: true });
    mountTiny();
    execFileSync('umount', [mnt]);
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!canMount)('disk full (a 200 KiB tmpfs)', () => {
  beforeAll(mountTiny);
  afterAll(async () => {
    execFileSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });

  it('stops with OUT_NO_SPACE, keeps complete shards only, and a rerun with space completes', async () => {
    const out = join(mnt, 'data');
    const argv = [
      'generate',
      '--out',
      out,
      '--sequences',
      '4',
      '--sequences-per-shard',
      '1',
      '--frames',
      '3',
      '--width',
      '32',
      '--height',
      '32',
    ];
    const err: string[] = [];
    const code = await main(
      argv,
      () => {},
      (l) => err.push(l),
    );
    expect(code).toBe(3);
    expect(err).toEqual([
      expect.stringMatching(
        /^error\[OUT_NO_SPACE\]: no space left writing .*datadiet-full-\d+\/data.* \(ENOSPC\) \(fix: free space or choose another --out/,
      ),
    ]);
    const names = await expectNoTornShards(out);
    const tars = names.filter((n) => n.endsWith('.tar'));
    expect(tars.length).toBeGreaterThanOrEqual(1); // what completed is kept …
    expect(tars.length).toBeLessThan(4); // … and the rest is not there at all
    expect((await readdir(out)).includes('manifest.json')).toBe(false);

    execFileSync('mount', ['-o', 'remount,size=4m', mnt]);
    const out2: string[] = [];
    expect(await main(argv, (l) => out2.push(l))).toBe(0);
    expect(out2.join('\n')).toMatch(new RegExp(`${tars.length} already complete`));
    expect(await main(['verify', out], () => {})).toBe(0);
  });
});
