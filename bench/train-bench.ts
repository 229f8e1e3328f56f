/**
 * Training throughput: images/s of one optimisation step (forward, backward, Adam) for the
 * benchmark encoder (64×64×3, 3 strided convs 32/64/128, pooled 64-d embedding, slowness loss,
 * batch 32 × 2 frames) and for PredNet (64², layers 3/16/32/64, batch 4 × T 10, L0 loss), per
 * tfjs backend available here, against the same models in PyTorch CPU when `import torch` works.
 * Random inputs: this measures compute, not the loader.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/index.ts';
import {
  EncoderConfigSchema,
  PrednetConfigSchema,
  Params,
  createEncoder,
  createPrednet,
  selectBackend,
} from '../training/index.ts';
import { loadText, median, pct, ratioTarget, selfPeak, type Log, type Target } from './stats.ts';

export interface Case {
  name: string;
  /** images per step */
  images: number;
  build(): { vars: tf.Variable[]; loss: () => tf.Scalar; dispose(): void };
}

const ENC = { batch: 32, frames: 2, size: 64 };
const PN = { batch: 4, frames: 10, size: 64, channels: [3, 16, 32, 64] };

/**
 * One forward 3×3 conv the size of PredNet's layer-1 gate conv ([B, H, W, Cin] → Cout): raw
 * convolution throughput on each side, which bounds the PredNet ratio (convolutions are ~80 % of
 * its step).
 */
const GATE_CONV = [PN.batch, PN.size / 2, PN.size / 2, 80, 64] as const;

export function encoderCase(scale = 1): Case {
  const batch = Math.max(1, Math.round(ENC.batch * scale));
  return {
    name: 'encoder',
    images: batch * ENC.frames,
    build() {
      const params = new Params(new Rng(0));
      const enc = createEncoder(
        params,
        EncoderConfigSchema.parse({ width: 32, depth: 3, embedding: 64 }),
      );
      const x = tf.randomUniform(
        [batch * ENC.frames, ENC.size, ENC.size, 3],
        0,
        1,
        'float32',
        1,
      ) as tf.Tensor4D;
      return {
        vars: params.list(),
        // A fixed workload: the former SFA penalty terms, slowness + ‖Cov − I‖² + ‖mean‖².
        loss: () => {
          const y = enc.apply(x).embedding.reshape([batch, ENC.frames, 64]);
          const d = tf.sub(y.slice([0, 1, 0], [batch, 1, 64]), y.slice([0, 0, 0], [batch, 1, 64]));
          const flat = y.reshape([-1, 64]);
          const c = tf.sub(flat, tf.mean(flat, 0));
          const cov = tf.div(tf.matMul(c, c, true), flat.shape[0] - 1);
          return tf.addN([
            tf.mean(tf.square(d)),
            tf.mul(10 / 64, tf.sum(tf.square(tf.sub(cov, tf.eye(64))))),
            tf.mean(tf.square(tf.mean(flat, 0))),
          ]) as tf.Scalar;
        },
        dispose: () => {
          params.dispose();
          x.dispose();
        },
      };
    },
  };
}

export function prednetCase(): Case {
  return {
    name: 'prednet',
    images: PN.batch * PN.frames,
    build() {
      const net = createPrednet(
        new Params(new Rng(0)),
        PrednetConfigSchema.parse({ channels: PN.channels }),
      );
      const x = tf.randomUniform(
        [PN.batch, PN.frames, PN.size, PN.size, 3],
        0,
        1,
        'float32',
        1,
      ) as tf.Tensor5D;
      return {
        vars: net.params.list(),
        loss: () => net.loss(x),
        dispose: () => {
          net.params.dispose();
          x.dispose();
        },
      };
    },
  };
}

/**
 * Times steps after one warm-up step until `seconds` pass (at least `minSteps`); the median step
 * time, so one step slowed by a neighbour's load does not move the figure. Also this process's
 * peak RSS over the case (MiB, null where /proc cannot tell).
 */
export async function measure(
  c: Case,
  seconds: number,
  minSteps = 2,
): Promise<{ imagesPerSecond: number; peakMiB: number | null }> {
  const canReset = selfPeak.reset();
  const m = c.build();
  const opt = tf.train.adam(1e-3);
  const step = async () => {
    const cost = opt.minimize(m.loss, true, m.vars);
    await cost?.data();
    cost?.dispose();
  };
  await step();
  const t0 = performance.now();
  const steps: number[] = [];
  while (steps.length < minSteps || performance.now() - t0 < seconds * 1000) {
    const s0 = performance.now();
    await step();
    steps.push(performance.now() - s0);
  }
  const peakMiB = canReset ? selfPeak.read() : null;
  opt.dispose();
  m.dispose();
  steps.sort((a, b) => a - b);
  const mid = steps[steps.length >> 1]!;
  return { imagesPerSecond: c.images / (mid / 1000), peakMiB };
}

const TORCH_SCRIPT = String.raw`
import sys, time, torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
torch.set_num_threads(int(sys.argv[1]))
budget = float(sys.argv[2])
dev = torch.device(sys.argv[3] if len(sys.argv) > 3 else 'cpu')
def sync():
    if dev.type == 'cuda': torch.cuda.synchronize()
class Enc(nn.Module):
    def __init__(s):
        super().__init__()
        s.c = nn.ModuleList([nn.Conv2d(3, 32, 3, 2, 1), nn.Conv2d(32, 64, 3, 2, 1), nn.Conv2d(64, 128, 3, 2, 1)])
        s.l = nn.Linear(128, 64)
    def forward(s, x):
        for c in s.c: x = F.relu(c(x))
        return s.l(x.mean((2, 3)))
def enc_loss(m, x, b, t):
    y = m(x).view(b, t, 64)
    d = y[:, 1:] - y[:, :-1]
    f = y.reshape(-1, 64); mu = f.mean(0); c = f - mu
    cov = c.T @ c / (f.shape[0] - 1)
    return (d ** 2).mean() + 10 / 64 * ((cov - torch.eye(64, device=dev)) ** 2).sum() + (mu ** 2).mean()
def hs(x): return torch.clamp(0.2 * x + 0.5, 0, 1)
class PredNet(nn.Module):
    def __init__(s, ch):
        super().__init__()
        s.ch = ch; L = len(ch)
        s.r = nn.ModuleList([nn.Conv2d(ch[l] + 2 * ch[l] + (ch[l + 1] if l < L - 1 else 0), 4 * ch[l], 3, 1, 1) for l in range(L)])
        s.ah = nn.ModuleList([nn.Conv2d(ch[l], ch[l], 3, 1, 1) for l in range(L)])
        s.a = nn.ModuleList([nn.Conv2d(2 * ch[l], ch[l + 1], 3, 1, 1) for l in range(L - 1)])
    def forward(s, x):
        B, T, C, H, W = x.shape; L = len(s.ch)
        R = [x.new_zeros(B, s.ch[l], H >> l, W >> l) for l in range(L)]
        Cs = [r.clone() for r in R]
        E = [x.new_zeros(B, 2 * s.ch[l], H >> l, W >> l) for l in range(L)]
        loss = 0
        for t in range(T):
            nR = [None] * L; nC = [None] * L
            for l in reversed(range(L)):
                inp = [R[l], E[l]]
                if l < L - 1: inp.append(F.interpolate(nR[l + 1], scale_factor=2, mode='nearest'))
                i, f, o, g = torch.chunk(s.r[l](torch.cat(inp, 1)), 4, 1)
                nC[l] = hs(f) * Cs[l] + hs(i) * torch.tanh(g)
                nR[l] = hs(o) * torch.tanh(nC[l])
            a = x[:, t]; nE = []
            for l in range(L):
                ah = F.relu(s.ah[l](nR[l]))
                if l == 0: ah = torch.clamp(ah, max=1)
                e = torch.cat([F.relu(ah - a), F.relu(a - ah)], 1); nE.append(e)
                if l == 0 and t > 0: loss = loss + e.mean((1, 2, 3)) / (T - 1)
                if l < L - 1: a = F.max_pool2d(F.relu(s.a[l](e)), 2)
            R, Cs, E = nR, nC, nE
        return loss.mean()
def bench(model, loss_fn, images):
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    def step():
        opt.zero_grad(); l = loss_fn(); l.backward(); opt.step(); sync()
    step(); step(); ts = []; t0 = time.perf_counter()
    while len(ts) < 3 or time.perf_counter() - t0 < budget:
        s0 = time.perf_counter(); step(); ts.append(time.perf_counter() - s0)
    ts.sort()
    return images / ts[len(ts) // 2]
e = Enc().to(dev); xe = torch.rand(${ENC.batch * ENC.frames}, 3, ${ENC.size}, ${ENC.size}, device=dev)
print('encoder', bench(e, lambda: enc_loss(e, xe, ${ENC.batch}, ${ENC.frames}), ${ENC.batch * ENC.frames}))
p = PredNet([${PN.channels.join(', ')}]).to(dev); xp = torch.rand(${PN.batch}, ${PN.frames}, 3, ${PN.size}, ${PN.size}, device=dev)
print('prednet', bench(p, lambda: p(xp), ${PN.batch * PN.frames}))
n, h, w, ci, co = ${GATE_CONV.join(', ')}
xc = torch.rand(n, ci, h, w, device=dev); wc = torch.rand(co, ci, 3, 3, device=dev)
for _ in range(3): F.conv2d(xc, wc, padding=1)
sync(); ts = []
for _ in range(21):
    s0 = time.perf_counter(); F.conv2d(xc, wc, padding=1); sync(); ts.append(time.perf_counter() - s0)
ts.sort()
print('conv_gflops', 2 * n * h * w * ci * co * 9 / ts[10] / 1e9)
`;

/** GFLOP/s of that conv on the active tfjs backend: median of 21 after 3 warm-ups. */
export function tfjsConvGflops(): number {
  const [n, h, w, ci, co] = GATE_CONV;
  const x = tf.randomUniform([n, h, w, ci]) as tf.Tensor4D;
  const f = tf.randomUniform([3, 3, ci, co]) as tf.Tensor4D;
  const run = () => tf.tidy(() => tf.conv2d(x, f, 1, 'same')).dataSync();
  for (let i = 0; i < 3; i++) run();
  const ts: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t0 = performance.now();
    run();
    ts.push(performance.now() - t0);
  }
  x.dispose();
  f.dispose();
  return (2 * n * h * w * ci * co * 9) / (median(ts) / 1000) / 1e9;
}

/**
 * PyTorch images/s for the same two models (CPU with `threads`, or 'cuda'), or the reason it
 * could not run: torch missing, or no CUDA device.
 */
export function torchPeer(
  seconds: number,
  opts: { threads?: number; device?: 'cpu' | 'cuda' } = {},
): { rates: Record<string, number>; convGflops: number } | { missing: string } {
  const device = opts.device ?? 'cpu';
  const dir = mkdtempSync(join(tmpdir(), 'datadiet-torch-'));
  const script = join(dir, 'peer.py');
  writeFileSync(script, TORCH_SCRIPT);
  try {
    // Debian's python3-torch lives under /usr/bin/python3 even when a pyenv python3 comes first.
    for (const py of ['python3', '/usr/bin/python3']) {
      try {
        execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
      } catch {
        continue;
      }
      if (device === 'cuda') {
        const ok = execFileSync(py, ['-c', 'import torch; print(torch.cuda.is_available())'], {
          encoding: 'utf8',
        });
        if (ok.trim() !== 'True')
          return {
            missing: `PyTorch ${py} has no CUDA device (torch.cuda.is_available() is False)`,
          };
      }
      const threads = String(opts.threads ?? 1);
      const out = execFileSync(py, [script, threads, String(seconds), device], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      const rates: Record<string, number> = {};
      let convGflops = NaN;
      for (const line of out.trim().split('\n')) {
        const [k, v] = line.split(' ');
        if (k === 'conv_gflops') convGflops = Number(v);
        else if (k && v) rates[k] = Number(v);
      }
      return { rates, convGflops };
    }
    return {
      missing:
        "PyTorch not found (`python3 -c 'import torch'` fails; Debian: apt-get install python3-torch)",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TrainBenchOptions {
  /** Seconds per measurement (per model, per backend, per round). */
  seconds?: number;
  /** Include the pure-JS cpu backend (~100× slower than wasm: a reduced batch, encoder only). */
  cpu?: boolean;
  /** Paired rounds: tfjs-wasm then the PyTorch peer, back to back (default 5). */
  rounds?: number;
}

/**
 * The ratio target from paired rounds: each round's tfjs ÷ PyTorch, measured back to back, so a
 * slow or fast spell of the machine moves both sides of that round; the median over rounds is the
 * figure, the range its spread. (Best-of-rounds, used before, picked the peer's spikes: on this
 * VM one PyTorch encoder measurement reads anywhere from 310 to 1900 images/s.)
 */
export function pairedTarget(
  name: string,
  wasm: number[],
  peer: number[],
  /** "2 threads" */
  each: string,
): Target {
  const ratios = wasm.map((w, i) => w / peer[i]!);
  return ratioTarget({
    name,
    value: median(ratios),
    peer: 1,
    threshold: 0.25,
    format: pct,
    detail: `median of ${ratios.length} paired rounds, range ${pct(Math.min(...ratios))}–${pct(Math.max(...ratios))}; medians ${median(wasm).toFixed(1)} / ${median(peer).toFixed(1)} images/s, ${each} each`,
  });
}

/** Logs one line per backend and model, then returns the issue's CPU-training and memory targets. */
export async function benchTrain(log: Log, opts: TrainBenchOptions = {}): Promise<Target[]> {
  const seconds = opts.seconds ?? 3;
  const rounds = opts.rounds ?? 5;
  const backends: string[] = ['wasm'];
  for (const b of ['tensorflow', 'webgpu']) {
    try {
      await selectBackend(b);
      backends.unshift(b);
    } catch (e) {
      log(`  ${b}: not measured (${(e as Error).message})`);
    }
  }
  if (opts.cpu) backends.push('cpu');
  // The issue's "same threads": PyTorch gets as many as tfjs-wasm's XNNPACK pool
  // ($DATADIET_WASM_THREADS, default one per core).
  await selectBackend('wasm');
  const threads = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
  const each = `${threads} thread${threads === 1 ? '' : 's'}`;
  log(`  threads: tfjs-wasm ${each} (XNNPACK pool), the PyTorch peer as many`);
  const rates = new Map<string, number[]>(); // `${backend} ${model}` → one figure per round
  const record = (key: string, x: number) => rates.set(key, [...(rates.get(key) ?? []), x]);
  const peaks = new Map<string, number | null>();
  let missing: string | null = null;
  for (let round = 0; round < rounds; round++) {
    log(`  round ${round + 1}/${rounds} (${loadText()})`);
    // Other backends once; tfjs-wasm and the peer every round.
    for (const b of round === 0 ? backends : ['wasm']) {
      const choice = await selectBackend(b);
      const cases = b === 'cpu' ? [encoderCase(1 / 8)] : [encoderCase(), prednetCase()];
      for (const c of cases) {
        const r = await measure(c, b === 'cpu' ? 0 : seconds, b === 'cpu' ? 1 : 2);
        const mem = r.peakMiB === null ? '' : `, peak RSS ${r.peakMiB.toFixed(0)} MiB`;
        log(
          `    tfjs ${choice.name.padEnd(10)} ${c.name.padEnd(8)} ${r.imagesPerSecond.toFixed(1).padStart(8)} images/s${mem}${b === 'cpu' ? ` (batch ${c.images / ENC.frames})` : ''}`,
        );
        const key = `${choice.name} ${c.name}`;
        record(key, r.imagesPerSecond);
        // Peak memory from round 1 only: wasm memory never shrinks, so later rounds carry
        // the largest model's heap.
        if (!peaks.has(key)) peaks.set(key, r.peakMiB);
      }
    }
    await selectBackend('wasm');
    const conv = tfjsConvGflops();
    record('wasm conv', conv);
    log(`    tfjs wasm       gate conv ${conv.toFixed(1).padStart(7)} GFLOP/s`);
    if (missing !== null) continue;
    const p = torchPeer(seconds, { threads });
    if ('missing' in p) {
      missing = p.missing;
      continue;
    }
    for (const [model, ips] of Object.entries(p.rates)) {
      log(`    PyTorch CPU (${each}) ${model.padEnd(8)} ${ips.toFixed(1).padStart(8)} images/s`);
      record(`pytorch-cpu ${model}`, ips);
    }
    log(`    PyTorch CPU (${each}) gate conv ${p.convGflops.toFixed(1).padStart(7)} GFLOP/s`);
    record('pytorch-cpu conv', p.convGflops);
  }
  const targets: Target[] = [];
  for (const model of ['encoder', 'prednet']) {
    const name = `tfjs-wasm vs PyTorch CPU, ${model === 'encoder' ? 'SFA encoder' : 'PredNet'}`;
    const wasm = rates.get(`wasm ${model}`) ?? [];
    const peer = rates.get(`pytorch-cpu ${model}`) ?? [];
    if (missing !== null) targets.push({ name, verdict: 'SKIP', detail: missing });
    else if (wasm.length === 0 || peer.length !== wasm.length)
      targets.push({ name, verdict: 'SKIP', detail: 'no figure from one side' });
    else targets.push(pairedTarget(name, wasm, peer, each));
  }
  const convs = [rates.get('wasm conv') ?? [], rates.get('pytorch-cpu conv') ?? []] as const;
  if (convs[1].length > 0)
    targets.push({
      name: 'conv throughput, tfjs-wasm vs PyTorch CPU',
      verdict: 'INFO',
      detail: `${pct(median(convs[0]) / median(convs[1]))} (${median(convs[0]).toFixed(1)} / ${median(convs[1]).toFixed(1)} GFLOP/s, one 3×3 conv ${GATE_CONV.slice(0, 4).join('×')} → ${GATE_CONV[4]}, ${each} each): the ceiling of a conv-bound model's ratio`,
    });
  for (const model of ['encoder', 'prednet']) {
    const peak = peaks.get(`wasm ${model}`);
    if (peak != null)
      targets.push({
        name: `train peak RSS, ${model} (wasm)`,
        verdict: 'INFO',
        detail: `${peak.toFixed(0)} MiB (this process's peak RSS over its first measurement)`,
      });
  }
  return targets;
}
