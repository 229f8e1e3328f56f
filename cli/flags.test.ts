/**
 * The flag tables against the libraries' own config types: every field a table names exists in
 * its target (a zod schema walked field by field, or an options interface's key list), the
 * args → config mapping produces what the library's schema accepts, and a library error naming a
 * field comes out of the command naming the flag.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { isDatadietError } from '../core/index.ts';
import { TrainConfigSchema } from '../training/index.ts';
import { SpecSchema } from '../scenes/index.ts';
import { defineCommand, fieldsFromArgs, flagError, type Command, type FlagTable } from './flags.ts';
import { COMMANDS } from './main.ts';
import { TRAIN_FLAGS, trainCommand } from './train.ts';
import { GENERATE_FLAGS } from './generate.ts';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema of `key` inside `schema`, through defaults, optionals and pipes; undefined if none. */
function child(schema: z.ZodType, key: string): z.ZodType | undefined {
  let def = defOf(schema);
  for (let i = 0; i < 16; i++) {
    if (def.type === 'object') return Object.hasOwn(def.shape!, key) ? def.shape![key] : undefined;
    const inner = def.innerType ?? def.in;
    if (!inner) return undefined;
    def = defOf(inner);
  }
  return undefined;
}

/** Fields of a command's table that its targets lack, as 'flag → field' lines. */
function missingFields(c: Pick<Command, 'flags' | 'targets'>): string[] {
  const bad: string[] = [];
  for (const [name, f] of Object.entries(c.flags)) {
    const fields = f.field === undefined ? [] : typeof f.field === 'string' ? [f.field] : f.field;
    for (const field of fields) {
      const [root, ...path] = field.split('.');
      const target = c.targets[root!];
      let ok: boolean;
      if (target === undefined || path.length === 0) ok = false;
      else if (Array.isArray(target)) ok = path.length === 1 && target.includes(path[0]!);
      else {
        let s: z.ZodType | undefined = target as z.ZodType;
        for (const k of path) s = s && child(s, k);
        ok = s !== undefined;
      }
      if (!ok) bad.push(`--${name} → ${field}`);
    }
  }
  return bad;
}

describe('flag tables', () => {
  it('name only fields that exist in the libraries’ config schemas and options', () => {
    expect(COMMANDS.map((c) => c.command.split(' ')[0])).toEqual([
      'generate',
      'train',
      'presets',
      'verify',
      'evaluate',
      'compare',
      'demo',
      'study',
      'manifest',
      'export',
      'doctor',
    ]);
    for (const c of COMMANDS) expect(missingFields(c), c.command).toEqual([]);
    // The checks above are not vacuous: the tables do map into the schemas.
    expect(Object.values(TRAIN_FLAGS).filter((f) => 'field' in f).length).toBeGreaterThan(20);
  });

  it('catch a table entry naming a field its schema lacks', () => {
    const flags = {
      width: { type: 'number', describe: 'w', field: 'train.encoder.widht' },
      frames: { type: 'number', describe: 'f', field: 'spec.frames' },
      typo: { type: 'number', describe: 't', field: 'spec.camera.baseline' },
      out: { type: 'string', describe: 'o', field: 'run.output' },
      nowhere: { type: 'string', describe: 'n', field: 'elsewhere.x' },
    } as const satisfies FlagTable;
    const targets = { train: TrainConfigSchema, spec: SpecSchema, run: ['out'] };
    expect(missingFields({ flags, targets })).toEqual([
      '--width → train.encoder.widht',
      '--typo → spec.camera.baseline',
      '--out → run.output',
      '--nowhere → elsewhere.x',
    ]);
  });

  it('map parsed args to the config the library validates (nested, parsed, unset left out)', () => {
    const config = fieldsFromArgs(
      TRAIN_FLAGS,
      {
        objective: 'prednet',
        steps: 5,
        width: 4,
        prednetChannels: '3, 8,16',
        motionTargets: 'heading,gaze',
        heldOutEvery: 3,
        frames: 9, // a stream's spec field, not the train config's
      },
      'train',
    );
    expect(config).toEqual({
      objective: 'prednet',
      steps: 5,
      heldOutEvery: 3,
      encoder: { width: 4 },
      prednet: { channels: [3, 8, 16] },
      egomotion: { targets: ['heading', 'gaze'] },
    });
    expect(TrainConfigSchema.parse(config).prednet.channels).toEqual([3, 8, 16]);
    // One flag may set two fields (--render-size: width and height of a stream's spec).
    expect(fieldsFromArgs(TRAIN_FLAGS, { renderSize: 48, dataSeed: 7 }, 'spec')).toEqual({
      width: 48,
      height: 48,
      seed: 7,
    });
    expect(
      fieldsFromArgs(GENERATE_FLAGS, { baseline: 0.1, layers: 'rgb, depth', width: 16 }, 'spec'),
    ).toEqual({ camera: { baseline_m: 0.1 }, layers: ['rgb', 'depth'], width: 16 });
    expect(() => fieldsFromArgs(GENERATE_FLAGS, { layers: 'rgb,colour' }, 'spec')).toThrow(
      /--layers: unknown layer "colour"/,
    );
  });
});

describe('library errors at the command line', () => {
  it("train's refusal of a config field comes out as CLI_USAGE naming the flag", async () => {
    let caught: unknown;
    try {
      // Validation comes before any data or backend is touched.
      await trainCommand.run(
        { data: '/nonexistent', out: '/nonexistent', objective: 'sfa', steps: 1, width: 0 },
        () => {},
      );
    } catch (e) {
      caught = e;
    }
    expect(isDatadietError(caught) && caught.code).toBe('CLI_USAGE');
    expect((caught as Error).message).toMatch(/^--width: /);
    expect(isDatadietError(caught) && caught.hint).toMatch(/pass a valid --width/);
    // The library's own error names the field, for callers that are not the CLI.
    const cause = (caught as Error).cause;
    expect(isDatadietError(cause) && [cause.code, cause.field]).toEqual([
      'CONFIG_INVALID',
      { config: 'train', path: 'encoder.width' },
    ]);
    expect((cause as Error).message).toMatch(/^encoder\.width: /);
  });

  it('leaves errors about fields the table does not set, or with no field, as they are', async () => {
    const { DatadietError } = await import('../core/errors.ts');
    const flags = { x: { type: 'number', describe: 'x', field: 'a.x' } } as const;
    const other = new DatadietError('CONFIG_INVALID', 'y: bad', {
      field: { config: 'a', path: 'y' },
    });
    expect(flagError(flags, other, () => '')).toBe(other);
    const plain = new DatadietError('CLI_USAGE', 'plain');
    expect(flagError(flags, plain, () => '')).toBe(plain);
    const cmd = defineCommand({
      command: 'x',
      describe: '',
      flags,
      targets: {},
      run: () => {
        throw new DatadietError('EVAL_DATA_UNUSABLE', 'x /d: empty', {
          hint: 'h',
          field: { config: 'a', path: 'x' },
        });
      },
    });
    // Not a config error: the code and the library's hint stay, the flag replaces the field.
    await expect(cmd.run({}, () => {})).rejects.toMatchObject({
      code: 'EVAL_DATA_UNUSABLE',
      message: '--x /d: empty',
      hint: 'h',
    });
  });
});
