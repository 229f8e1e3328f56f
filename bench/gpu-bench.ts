/**
 * GPU training throughput, printed as one JSON object (run through bench/gpu.sh): the benchmark
 * encoder (SFA loss) and PredNet, the same models and batches as the CPU benchmark, with the best
 * tfjs GPU backend that starts here (tfjs-node-gpu when installed, else WebGPU via Dawn over
 * Vulkan) and PyTorch CUDA as the peer. Exit status 0 when any GPU figure was measured, 2 when no
 * GPU could be used at all (the JSON says why for each side).
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { selectBackend } from '../training/index.ts';
import { encoderCase, measure, prednetCase, torchPeer } from './train-bench.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] || 0) || 10;

function nvidiaSmi(): string | null {
  try {
    return execFileSync(
      'nvidia-smi',
      ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'],
      { encoding: 'utf8', timeout: 30_000 },
    ).trim();
  } catch {
    return null;
  }
}

type Side = Record<string, unknown>;

async function tfjsGpu(): Promise<Side> {
  const tried: string[] = [];
  for (const backend of ['tensorflow', 'webgpu']) {
    let name: string;
    let reason: string;
    try {
      ({ name, reason } = await selectBackend(backend));
    } catch (e) {
      tried.push(`${backend}: ${(e as Error).message}`);
      continue;
    }
    const out: Side = { backend: name, reason, images_per_second: {} };
    for (const c of [encoderCase(), prednetCase()]) {
      try {
        (out.images_per_second as Record<string, number>)[c.name] = +(
          await measure(c, seconds)
        ).imagesPerSecond.toFixed(1);
      } catch (e) {
        (out.errors ??= {} as Record<string, string>) as Record<string, string>;
        (out.errors as Record<string, string>)[c.name] = (e as Error).message.split('\n')[0]!;
      }
    }
    return out;
  }
  return { error: 'no tfjs GPU backend started', tried };
}

const gpu = nvidiaSmi();
const tfjs = await tfjsGpu();
const peer = torchPeer(seconds, { device: 'cuda' });
const torch: Side =
  'missing' in peer
    ? { error: peer.missing }
    : {
        images_per_second: Object.fromEntries(
          Object.entries(peer.rates).map(([k, v]) => [k, +v.toFixed(1)]),
        ),
      };
const tfRates = tfjs.images_per_second as Record<string, number> | undefined;
const thRates = torch.images_per_second as Record<string, number> | undefined;
const ratio: Record<string, number> = {};
for (const m of ['encoder', 'prednet'])
  if (tfRates?.[m] && thRates?.[m]) ratio[m] = +(tfRates[m] / thRates[m]).toFixed(3);

const result = {
  machine: {
    gpu: gpu ?? 'none (nvidia-smi not found or failed)',
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    node: process.version,
    loadavg: loadavg().map((x) => +x.toFixed(2)),
  },
  models: {
    encoder: '64×64×3, convs 32/64/128 stride 2, pooled 64-d, SFA loss, batch 32 clips × 2 frames',
    prednet: '64², layers 3/16/32/64, batch 4 × T 10, L0 loss',
  },
  seconds_per_measurement: seconds,
  tfjs,
  pytorch_cuda: torch,
  tfjs_over_pytorch: ratio,
};
console.log(JSON.stringify(result, null, 2));
const measured = tfRates !== undefined || thRates !== undefined;
if (!measured) {
  console.error(
    'bench/gpu.sh: no GPU figure measured: no tfjs GPU backend started (see "tfjs.tried") and PyTorch CUDA is unavailable (see "pytorch_cuda.error").',
  );
}
process.exit(measured ? 0 : 2);
