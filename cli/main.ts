import yargs from 'yargs';
import { DatadietError, isDatadietError } from '../core/index.ts';
import { generateCommand, runGenerate, type GenerateArgs } from './generate.ts';
import { manifestCommand, runManifest, type ManifestArgs } from './manifest.ts';
import { runPresets } from './presets.ts';
import { runTrain, trainCommand, type TrainArgs } from './train.ts';
import { runVerify, verifyCommand, type VerifyArgs } from './verify.ts';
import { demoCommand, runDemoCommand, type DemoArgs } from './demo.ts';
import { evaluateCommand, runEvaluate, type EvaluateArgs } from './evaluate.ts';
import { compareCommand, runCompare, type CompareArgs } from './compare.ts';
import { doctorCommand, runDoctorCommand, type DoctorArgs } from './doctor.ts';
import { exportCommand, runExport, type ExportArgs } from './export.ts';
import { runStudyCommand, studyCommand, type StudyArgs } from './study.ts';

type Log = (line: string) => void;

/** Builds the parser; exported so tests can check which command lines the CLI accepts. */
export function parseCli(argv: string[]) {
  return yargs(argv)
    .scriptName('datadiet')
    .command('generate', 'render a stereo dataset into WebDataset shards', generateCommand)
    .command(
      'train',
      'train a model (sfa, prednet, supervised, egomotion) on a dataset',
      trainCommand,
    )
    .command('presets', 'list the built-in dataset specs', (y) =>
      y.option('show', { type: 'string', describe: 'print one preset as a full JSON spec' }),
    )
    .command('verify <location>', 'check a dataset against its manifest', verifyCommand)
    .command(
      'evaluate',
      'probe accuracy, saliency alignment, shortcut reliance and shape bias of one model',
      evaluateCommand,
    )
    .command(
      'compare',
      'evaluate several models: table (terminal, CSV, JSON) and an HTML report',
      compareCommand,
    )
    .command(
      'demo',
      'the whole pipeline small: generate, train SFA/PredNet/supervised, compare',
      demoCommand,
    )
    .command(
      'study',
      'the experiment: several seeds of every objective on a diet, compared with intervals; results.md',
      studyCommand,
    )
    .command(
      'manifest <location>',
      'assemble manifest.json from per-shard sidecars',
      manifestCommand,
    )
    .command(
      'export',
      'a trained run as an .onnx file (PyTorch, onnxruntime, Brain-Score), checked by onnxruntime',
      exportCommand,
    )
    .command(
      'doctor',
      'what this machine can render and train with, measured, and the fix for the rest',
      doctorCommand,
    )
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
    const [command] = args._;
    if (command === 'generate') await runGenerate(args as unknown as GenerateArgs, log);
    else if (command === 'train') await runTrain(args as unknown as TrainArgs, log);
    else if (command === 'presets') runPresets(args as { show?: string }, log);
    else if (command === 'verify') await runVerify(args as unknown as VerifyArgs, log);
    else if (command === 'manifest') await runManifest(args as unknown as ManifestArgs, log);
    else if (command === 'demo') await runDemoCommand(args as unknown as DemoArgs, log);
    else if (command === 'evaluate') await runEvaluate(args as unknown as EvaluateArgs, log);
    else if (command === 'compare') await runCompare(args as unknown as CompareArgs, log);
    else if (command === 'export') await runExport(args as unknown as ExportArgs, log);
    else if (command === 'study') await runStudyCommand(args as unknown as StudyArgs, log);
    else if (command === 'doctor') await runDoctorCommand(args as unknown as DoctorArgs, log);
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
