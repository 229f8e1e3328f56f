import { exportRun, type ExportOptions } from '../onnx/index.ts';
import { BACKEND_NAMES } from '../training/index.ts';
import { defineCommand, type ArgsOf, type FlagTable } from './flags.ts';

const EXPORT_FIELDS = [
  'model',
  'out',
  'backend',
] as const satisfies readonly (keyof ExportOptions)[];

const EXPORT_FLAGS = {
  model: {
    type: 'string',
    demandOption: true,
    describe: 'a run folder (`datadiet train --out`; its newest checkpoint) or a checkpoint folder',
    field: 'export.model',
  },
  out: {
    type: 'string',
    demandOption: true,
    describe: 'the .onnx file to write',
    field: 'export.out',
    hint: 'name the file to write, e.g. --out model.onnx',
  },
  backend: {
    type: 'string',
    default: 'auto',
    describe: `${BACKEND_NAMES.join('|')} (tfjs backend of the check against onnxruntime)`,
    field: 'export.backend',
  },
} as const satisfies FlagTable;

async function runExport(
  args: ArgsOf<typeof EXPORT_FLAGS>,
  log: (line: string) => void,
): Promise<void> {
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

export const exportCommand = defineCommand({
  command: 'export',
  describe:
    'a trained run as an .onnx file (PyTorch, onnxruntime, Brain-Score), checked by onnxruntime',
  flags: EXPORT_FLAGS,
  targets: { export: EXPORT_FIELDS },
  examples: [['$0 export --model runs/sfa --out sfa.onnx', '']],
  run: runExport,
});
