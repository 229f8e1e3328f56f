import { spawn, execFile } from 'node:child_process';
import { runCli } from './test-helpers.ts';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../core/index.ts';
import { readDataset, shardFileMatches } from '../output/index.ts';
import { chromiumProcesses, tempDir } from '../generator/test-helpers.ts';
import { parseCli } from './main.ts';

const BIN = join(projectRoot(), 'bin', 'datadiet.js');

const run = runCli;

describe('datadiet CLI: bad input gives one clear line, a stable code, and writes nothing', () => {
  const cases: {
    name: string;
    args: (dir: string) => Promise<string[]>;
    code: number;
    match: RegExp;
  }[] = [
    {
      name: 'unknown field in a spec file',
      args: async (dir) => {
        await writeFile(join(dir, 'spec.json'), JSON.stringify({ frames: 4, colour: 'red' }));
        return ['--spec', join(dir, 'spec.json')];
      },
      code: 2,
      match: /^error\[SPEC_INVALID\]: .*colour: unknown field.*fix:/,
    },
    {
      name: 'negative size',
      args: async () => ['--width', '-5'],
      code: 2,
      match: /^error\[SPEC_INVALID\]: spec: width: .*>=8.*fix: pass a valid --width/,
    },
    {
      name: 'frames = 0',
      args: async () => ['--frames', '0'],
      code: 2,
      match: /^error\[SPEC_INVALID\]: spec: frames: .*fix: pass a valid --frames/,
    },
    {
      name: 'unknown preset',
      args: async () => ['--preset', 'nope'],
      code: 2,
      match: /^error\[PRESET_UNKNOWN\]: no preset named "nope".*default/,
    },
    {
      name: 'unknown layer',
      args: async () => ['--layers', 'rgb,optic'],
      code: 2,
      match: /^error\[LAYER_UNKNOWN\]: --layers: unknown layer "optic"/,
    },
    {
      name: 'no browser',
      args: async () => ['--browser', '/nonexistent/chromium'],
      code: 4,
      match: /^error\[BROWSER_NOT_FOUND\]: .*fix: .*apt-get install chromium/,
    },
    {
      name: 'unwritable output folder',
      args: async (dir) => {
        await writeFile(join(dir, 'a-file'), '');
        return ['--out', join(dir, 'a-file', 'data')];
      },
      code: 3,
      match: /^error\[OUT_DIR_UNWRITABLE\]: cannot write to .*a-file\/data/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const dir = await tempDir('cli');
      const extra = await c.args(dir);
      const out = extra.includes('--out') ? [] : ['--out', join(dir, 'data')];
      const r = await run(['generate', ...out, ...extra]);
      expect(r.code).toBe(c.code);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(c.match);
      expect(r.err[0]).not.toMatch(/\n\s+at /); // no stack trace
      expect(existsSync(join(dir, 'data'))).toBe(false);
    });
  }

  it('an unknown flag is a usage error, not a crash', async () => {
    const r = await run(['generate', '--out', '/tmp/x', '--frobnicate', '3']);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^error\[CLI_USAGE\]: Unknown argument: frobnicate/);
  });

  it('parseCli accepts the documented generate command line', async () => {
    const args = await parseCli([
      'generate',
      '--preset',
      'objects-orbit',
      '--out',
      'd',
      '--sequences',
      '8',
      '--frames',
      '4',
      '--width',
      '32',
      '--height',
      '32',
      '--seed',
      '1',
      '--sequences-per-shard',
      '2',
      '--workers',
      '2',
      '--layers',
      'rgb,depth',
      '--shard-index',
      '1',
      '--num-shards',
      '3',
    ]).parseAsync();
    expect(args.sequencesPerShard).toBe(2);
    expect(args.numShards).toBe(3);
  });

  it('`<command> --help` prints the flags and runs nothing', async () => {
    for (const command of ['generate', 'train', 'evaluate', 'compare', 'demo', 'study']) {
      const { stdout } = await promisify(execFile)(process.execPath, [BIN, command, '--help']);
      expect(stdout, command).toMatch(/Options:[\s\S]*--help/);
    }
  });

  it('`presets` lists every preset with a one-line summary', async () => {
    const r = await run(['presets']);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/^default\s+tiny/m);
    expect(r.out.join('\n')).toMatch(/^walkthrough\s+/m);
  });
});

describe('kill -9 midway, then rerun', () => {
  it('completes the dataset with no torn or duplicated shard', async () => {
    const dir = await tempDir('kill');
    const out = join(dir, 'data');
    const args = [
      BIN,
      'generate',
      '--out',
      out,
      '--sequences',
      '6',
      '--sequences-per-shard',
      '1',
      '--frames',
      '6',
      '--width',
      '48',
      '--height',
      '48',
    ];
    // Its own process group, as a lost node would be; puppeteer puts Chromium in another group,
    // so only the generator's design (DevTools over a pipe) can take the browser down with it.
    const browsersBefore = new Set(chromiumProcesses());
    const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore' });
    const deadline = Date.now() + 120_000;
    while (!existsSync(join(out, 'shards', 'shard-000001.json'))) {
      if (Date.now() > deadline) throw new Error('no shard appeared');
      await new Promise((r) => setTimeout(r, 100));
    }
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    let orphans: number[] = [];
    for (let i = 0; i < 100; i++) {
      orphans = chromiumProcesses().filter((pid) => !browsersBefore.has(pid));
      if (orphans.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(orphans, 'Chromium outlived the killed generator').toEqual([]);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    const before = await readdir(join(out, 'shards'));
    expect(before.filter((n) => n.endsWith('.json')).length).toBeLessThan(6);

    const { stdout } = await promisify(execFile)(process.execPath, args);
    expect(stdout).toMatch(/already complete/);
    const names = await readdir(join(out, 'shards'));
    expect(names.filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(names.filter((n) => n.endsWith('.tar'))).toHaveLength(6);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    for (const s of manifest.shards)
      expect(await shardFileMatches(join(out, s.file), s)).toBe(true);
    const keys: string[] = [];
    for await (const s of readDataset(out)) keys.push(s.key);
    expect(keys).toEqual([0, 1, 2, 3, 4, 5].map((i) => `seq-0000000${i}`));
    expect((await run(['verify', out])).code).toBe(0);
  });
});
