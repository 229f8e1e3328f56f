import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

type Side = {
  error?: string;
  fix?: string;
  renderer?: string;
  device?: string;
  render_only_pairs_per_s?: number;
  end_to_end_pairs_per_s?: number;
  images_per_second?: Record<string, number>;
};

// bench/gpu.sh end to end. On a machine with no usable GPU (CI, the 2-core dev boxes) it must say
// why in JSON and exit 2, not crash, and still measure the software renderers (the figures a GPU
// run compares against); where a GPU is present it must report positive figures.
describe('bench/gpu.sh', () => {
  it('reports rendering per --gl and GPU training figures, or exits 2 with the reason for each side', () => {
    const r = spawnSync('bash', ['bench/gpu.sh', '--seconds', '0.5', '--render-size', '64'], {
      encoding: 'utf8',
      timeout: 280_000,
    });
    const json = JSON.parse(r.stdout) as {
      render: Record<string, Side>;
      tfjs: { tensorflow: Side; webgpu: Side };
      pytorch_cuda: Side;
      machine: { gpu: string };
      gpu_figures: number;
      reasons?: string[];
    };
    // Every --gl is either measured with the renderer it got, or says why not.
    for (const gl of ['swiftshader', 'egl', 'vulkan']) {
      const side = json.render[gl]!;
      if (side.error === undefined) {
        expect(side.renderer, gl).toMatch(/^ANGLE \(/);
        expect(side.render_only_pairs_per_s, gl).toBeGreaterThan(0);
        expect(side.end_to_end_pairs_per_s, gl).toBeGreaterThan(0);
      } else {
        expect(side.error, gl).toMatch(new RegExp(`--gl ${gl}`));
      }
    }
    for (const side of [json.tfjs.tensorflow, json.tfjs.webgpu, json.pytorch_cuda]) {
      if (side.error === undefined) {
        const rates = Object.values(side.images_per_second ?? {});
        expect(rates.length).toBeGreaterThan(0);
        for (const x of rates) expect(x).toBeGreaterThan(0);
      }
    }
    if (r.status === 2) {
      expect(json.gpu_figures).toBe(0);
      expect(r.stderr).toContain('no GPU figure measured');
      expect(json.render.swiftshader?.device).toBe('swiftshader'); // software, measured anyway
      expect(json.tfjs.tensorflow.error).toMatch(/--backend tensorflow/);
      expect(json.tfjs.webgpu.error).toMatch(/--backend webgpu/);
      expect(json.pytorch_cuda.error).toMatch(/PyTorch|CUDA/);
      expect(json.reasons?.length).toBeGreaterThanOrEqual(4);
    } else {
      expect(r.status).toBe(0);
      expect(json.gpu_figures).toBeGreaterThan(0);
    }
  }, 300_000);
});
