import type { Argv } from 'yargs';
import { exportRun } from '../onnx/index.ts';
import { BACKEND_NAMES } from '../training/index.ts';

export interface ExportArgs {
  model: string;
  out: string;
  backend: string;
}

export function exportCommand(y: Argv) {
  return y
    .option('model', {
      type: 'string',
      demandOption: true,
      describe:
        'a run folder (`datadiet train --out`; its newest checkpoint) or a checkpoint folder',
    })
    .option('out', { type: 'string', demandOption: true, describe: 'the .onnx file to write' })
    .option('backend', {
      type: 'string',
      default: 'auto',
      describe: `${BACKEND_NAMES.join('|')} (tfjs backend of the check against onnxruntime)`,
    })
    .example('$0 export --model runs/sfa --out sfa.onnx', '');
}

export async function runExport(args: ExportArgs, log: (line: string) => void): Promise<void> {
  const r = await exportRun({ model: args.model, out: args.out, backend: args.backend });
  const io = (l: { name: string; shape: (number | string)[] }[]) =>
    l.map((v) => `${v.name} [${v.shape.join(',')}]`).join(', ');
  log(`exported: ${r.file} (${r.objective}, step ${r.step}, ${(r.bytes / 1024).toFixed(1)} KiB)`);
  log(`inputs: ${io(r.inputs)}`);
  log(`outputs: ${io(r.outputs)}`);
  log(
    `checked: onnxruntime vs tfjs on ${r.check.images} seeded frames, max relative error ${r.check.maxRelErr.toExponential(1)} (${Object.entries(
      r.check.errors,
    )
      .map(([k, v]) => `${k} ${v.toExponential(1)}`)
      .join(', ')})`,
  );
}
