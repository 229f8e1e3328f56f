import yargs from 'yargs';
import { DatadietError, isDatadietError } from '../core/index.ts';
import { compareCommand } from './compare.ts';
import { demoCommand } from './demo.ts';
import { doctorCommand } from './doctor.ts';
import { evaluateCommand } from './evaluate.ts';
import { exportCommand } from './export.ts';
import { withFlags, type Command } from './flags.ts';
import { generateCommand } from './generate.ts';
import { manifestCommand } from './manifest.ts';
import { presetsCommand } from './presets.ts';
import { studyCommand } from './study.ts';
import { trainCommand } from './train.ts';
import { verifyCommand } from './verify.ts';

type Log = (line: string) => void;

/** Every command, in --help's order; each is registered from its flag table. */
export const COMMANDS: readonly Command[] = [
  generateCommand,
  trainCommand,
  presetsCommand,
  verifyCommand,
  evaluateCommand,
  compareCommand,
  demoCommand,
  studyCommand,
  manifestCommand,
  exportCommand,
  doctorCommand,
];

/** Builds the parser; exported so tests can check which command lines the CLI accepts. */
export function parseCli(argv: string[]) {
  let y = yargs(argv).scriptName('datadiet');
  for (const c of COMMANDS) y = y.command(c.command, c.describe, (b) => withFlags(b, c));
  return y
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .version(false)
    .help()
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new DatadietError('CLI_USAGE', msg, { hint: 'see `datadiet --help`' });
    });
}

export async function main(
  argv: string[],
  log: Log = (l) => console.log(l),
  logErr: Log = (l) => console.error(l),
): Promise<number> {
  try {
    const args = await parseCli(argv).parseAsync();
    if (args.help) return 0; // yargs has printed it; without exitProcess it still returns the args
    const command = COMMANDS.find((c) => c.command.split(' ')[0] === args._[0]);
    await command?.run(args, log);
    return 0;
  } catch (e) {
    if (isDatadietError(e)) {
      logErr(e.format());
      return e.exitCode;
    }
    logErr(`internal error: ${(e as Error).stack ?? String(e)}`);
    return 70;
  }
}
