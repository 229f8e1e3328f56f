import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectDatadietError } from '../core/test-helpers.ts';
import { stableJson } from '../core/index.ts';
import { ManifestSchema, SampleJsonSchema, readManifest } from '../output/index.ts';
import { datasetFingerprint, FORMAT_VERSION } from './dataset-meta.ts';
import { generateTiny, loadAll } from './test-helpers.ts';

const tiny = { sequences: 1, sequences_per_shard: 1, frames: 2, width: 16, height: 16, seed: 2 };

describe('format version', () => {
  it('the manifest states shard paths, the constant camera, shapes, units and conventions', async () => {
    const { out } = await generateTiny({ ...tiny, sequences: 2 });
    const m = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(m.format_version).toBe(FORMAT_VERSION);
    expect(m.shards.map((r: { file: string }) => r.file)).toEqual([
      'shards/shard-000000.tar',
      'shards/shard-000001.tar',
    ]);
    for (const r of m.shards) expect((await stat(join(out, r.file))).size).toBe(r.bytes);
    const samples = await loadAll(out);
    for (const s of samples) {
      expect(m.camera.K).toEqual(s.json.K);
      expect(m.camera.baseline_m).toBe(s.json.baseline_m);
      const { fx, fy, cx, cy } = s.json.K;
      expect(m.camera.K_matrix).toEqual([
        [fx, 0, cx],
        [0, fy, cy],
        [0, 0, 1],
      ]);
      // Every primitive a sample uses is described.
      for (const o of s.json.objects as unknown as { parts: { shape: { kind: string } }[] }[])
        for (const p of o.parts) expect(Object.keys(m.shapes)).toContain(p.shape.kind);
    }
    expect(m.conventions.quaternion).toMatch(/x, y, z, w/);
    expect(m.conventions.parts_pose).toMatch(/world_from_object/);
    expect(m.conventions.valid).toMatch(/sky/);
    expect(m.conventions.occlusion).toMatch(/hidden/);
    expect(m.units.length).toMatch(/metres/);
    expect(m.layers.map((l: { name: string }) => l.name)).toContain('valid');
    // The format's schema round trip: the written manifest parses to itself, readManifest
    // returns it as written, and every sample JSON parses.
    expect(ManifestSchema.parse(m)).toEqual(m);
    expect(await readManifest(out)).toEqual(m);
    for (const s of samples) expect(SampleJsonSchema.parse(s.json)).toEqual(s.json);
  });

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
