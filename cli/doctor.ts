import { DatadietError } from '../core/index.ts';
import { runDoctor, type DoctorItem, type DoctorOptions } from '../doctor/index.ts';
import { defineCommand, type ArgsOf, type FlagTable } from './flags.ts';

const DOCTOR_FIELDS = [
  'browser',
  'seconds',
  'only',
] as const satisfies readonly (keyof DoctorOptions)[];

const DOCTOR_FLAGS = {
  browser: {
    type: 'string',
    describe: 'Chromium/Chrome executable (default: found automatically)',
    field: 'doctor.browser',
  },
  seconds: {
    type: 'number',
    default: 2,
    describe: 'seconds of throughput measurement per usable renderer and backend (0: none)',
    field: 'doctor.seconds',
  },
  only: {
    type: 'string',
    describe: 'comma-separated areas to check: render,train,python (default all)',
    field: 'doctor.only',
  },
  json: { type: 'boolean', default: false, describe: 'print one JSON object' },
} as const satisfies FlagTable;

const line = (i: DoctorItem) =>
  `  ${i.ok ? 'ok  ' : 'NO  '} ${i.name.padEnd(32)} ${i.detail}` +
  (i.rate ? `\n         → ${i.rate.value} ${i.rate.unit}` : '') +
  (!i.ok && i.fix ? `\n         fix: ${i.fix}` : '');

/** Prints the report; RENDER_UNAVAILABLE (non-zero exit) when no `--gl` choice renders. */
async function runDoctorCommand(
  args: ArgsOf<typeof DOCTOR_FLAGS>,
  log: (l: string) => void,
): Promise<void> {
  if (!Number.isFinite(args.seconds) || args.seconds < 0) {
    throw new DatadietError('CLI_USAGE', `--seconds must be ≥ 0, got ${args.seconds}`, {
      hint: 'pass --seconds 2 (or 0 to skip the measurements)',
    });
  }
  const areas = ['render', 'train', 'python'] as const;
  const only = args.only?.split(',').map((s) => s.trim());
  const bad = only?.find((a) => !(areas as readonly string[]).includes(a));
  if (bad !== undefined) {
    throw new DatadietError('CLI_USAGE', `--only: unknown area "${bad}"`, {
      hint: `use some of ${areas.join(',')}`,
    });
  }
  let area = '';
  const titles = {
    render: 'Rendering (generate --gl)',
    train: 'Training (train --backend)',
    python: 'Python peers (bench, tests)',
  };
  const report = await runDoctor({
    browser: args.browser,
    seconds: args.seconds,
    only: only as (typeof areas)[number][] | undefined,
    onItem: (i) => {
      if (args.json) return;
      if (i.area !== area) log(`${titles[(area = i.area)]}:`);
      log(line(i));
    },
  });
  if (args.json) log(JSON.stringify(report, null, 2));
  if (!report.canRender) {
    throw new DatadietError(
      'GL_UNAVAILABLE',
      'nothing can render on this machine: no --gl choice gave WebGL2',
      {
        hint: 'install Chromium (Debian: apt-get install chromium) and Mesa EGL (libegl1 libegl-mesa0 libgles2), or pass --browser',
      },
    );
  }
}

export const doctorCommand = defineCommand({
  command: 'doctor',
  describe: 'what this machine can render and train with, measured, and the fix for the rest',
  flags: DOCTOR_FLAGS,
  targets: { doctor: DOCTOR_FIELDS },
  examples: [['$0 doctor', 'what this machine can render and train with, and how to fix the rest']],
  run: runDoctorCommand,
});
