import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectDatadietError } from '../core/test-helpers.ts';
import { stableJson } from '../output/manifest.ts';
import { datasetFingerprint, FORMAT_VERSION } from './dataset-meta.ts';
import { generateTiny } from './test-helpers.ts';

const tiny = { sequences: 1, sequences_per_shard: 1, frames: 2, width: 16, height: 16, seed: 2 };

describe('format version', () => {
  it('a folder made by the 1.1 generator with the same spec is refused, not mixed', async () => {
    const { out } = await generateTiny(tiny);
    const sidecarPath = join(out, 'shards', 'shard-000000.json');
    const sidecar = JSON.parse(await readFile(sidecarPath, 'utf8'));
    expect(sidecar.fingerprint).toBe(
      datasetFingerprint(sidecar.spec, sidecar.generator_version, {}, sidecar.renderer.renderer),
    );
    // What the 1.1 generator recorded for the very same spec, renderer and version.
    const old = createHash('sha256')
      .update(
        stableJson({
          format_version: '1.1',
          generator: sidecar.generator_version,
          spec: sidecar.spec,
          renderer: sidecar.renderer.renderer,
        }),
      )
      .digest('hex');
    expect(old).not.toBe(sidecar.fingerprint);
    const manifestPath = join(out, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    await writeFile(
      manifestPath,
      JSON.stringify({ ...manifest, format_version: '1.1', fingerprint: old }),
    );
    await writeFile(sidecarPath, JSON.stringify({ ...sidecar, fingerprint: old }));
    await expectDatadietError(generateTiny(tiny, { out }), 'OUT_DIR_MISMATCH', /dataset format/);
    expect(FORMAT_VERSION).toBe('1.2');
  });
});
