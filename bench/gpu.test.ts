import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// bench/gpu.sh end to end. On a machine with no usable GPU (CI, the 2-core dev boxes) it must say
// why in JSON and exit 2, not crash; where a GPU is present it must report positive figures.
describe('bench/gpu.sh', () => {
  it('reports GPU figures, or exits 2 with the reason for each side', () => {
    const r = spawnSync('bash', ['bench/gpu.sh', '--seconds', '1'], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    const json = JSON.parse(r.stdout) as {
      tfjs: { error?: string; tried?: string[]; images_per_second?: Record<string, number> };
      pytorch_cuda: { error?: string; images_per_second?: Record<string, number> };
      machine: { gpu: string };
    };
    if (r.status === 2) {
      expect(r.stderr).toContain('no GPU figure measured');
      expect(json.tfjs.error).toBe('no tfjs GPU backend started');
      expect(json.tfjs.tried?.some((t) => t.startsWith('webgpu:'))).toBe(true);
      expect(json.pytorch_cuda.error).toMatch(/PyTorch|CUDA/);
    } else {
      expect(r.status).toBe(0);
      const rates = [
        ...Object.values(json.tfjs.images_per_second ?? {}),
        ...Object.values(json.pytorch_cuda.images_per_second ?? {}),
      ];
      expect(rates.length).toBeGreaterThan(0);
      for (const x of rates) expect(x).toBeGreaterThan(0);
    }
  }, 300_000);
});
