import { PRESETS, findPreset, parseSpec } from '../scenes/index.ts';
import { DatadietError } from '../core/index.ts';
import { defineCommand, type ArgsOf, type FlagTable } from './flags.ts';

const PRESETS_FLAGS = {
  show: { type: 'string', describe: 'print one preset as a full JSON spec' },
} as const satisfies FlagTable;

function runPresets(args: ArgsOf<typeof PRESETS_FLAGS>, log: (line: string) => void): void {
  if (args.show !== undefined) {
    const p = findPreset(args.show);
    if (!p) {
      throw new DatadietError('PRESET_UNKNOWN', `no preset named "${args.show}"`, {
        hint: `use one of ${PRESETS.map((x) => x.name).join(', ')}`,
      });
    }
    log(JSON.stringify(parseSpec({ name: p.name, ...p.spec }), null, 2));
    return;
  }
  const width = Math.max(...PRESETS.map((p) => p.name.length));
  for (const p of PRESETS) log(`${p.name.padEnd(width)}  ${p.summary}`);
  log('');
  log('`datadiet presets --show NAME` prints a preset as a full JSON spec to copy and edit.');
}

export const presetsCommand = defineCommand({
  command: 'presets',
  describe: 'list the built-in dataset specs',
  flags: PRESETS_FLAGS,
  targets: {},
  run: runPresets,
});
