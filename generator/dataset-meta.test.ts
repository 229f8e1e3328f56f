import { describe, expect, it } from 'vitest';
import { stableJson } from '../core/index.ts';
import { ManifestSchema, SampleJsonSchema } from '../output/index.ts';
import { resolveSpec, sampleScene } from '../scenes/index.ts';
import { buildManifest, datasetFingerprint, sampleJson } from './dataset-meta.ts';

describe('dataset-meta builds values of the format schema', () => {
  it('a manifest for every layer, with shards, parses and survives a JSON round trip', async () => {
    const spec = await resolveSpec({
      preset: 'movi-like',
      overrides: { sequences: 2, frames: 2, width: 16, height: 16 },
    });
    const shards = [0, 1].map((i) => ({
      file: `shard-00000${i}.tar`,
      samples: 1,
      bytes: 10240,
      sha256: String(i).repeat(64),
      index: i,
      first_sequence: i,
    }));
    const built = buildManifest({
      spec,
      generatorVersion: '0.0.0-test',
      fingerprint: datasetFingerprint(spec, '0.0.0-test'),
      shards,
    });
    const json = JSON.parse(stableJson(built)) as unknown;
    const parsed = ManifestSchema.parse(json);
    expect(parsed).toEqual(json);
    expect(parsed.shards.map((s) => s.file)).toEqual([
      'shards/shard-000000.tar',
      'shards/shard-000001.tar',
    ]);
    expect(parsed.motion?.columns.length).toBe(parsed.motion?.shape[1]);
    expect(parsed.layers?.map((l) => l.name)).toEqual(spec.layers);
  });

  it('the sample JSON of a sampled scene parses', async () => {
    const spec = await resolveSpec({ preset: 'default', overrides: { sequences: 1, frames: 2 } });
    const json = JSON.parse(JSON.stringify(sampleJson(sampleScene(spec, 0)))) as unknown;
    const parsed = SampleJsonSchema.parse(json);
    expect(parsed).toEqual(json);
    expect(parsed.objects?.length).toBeGreaterThan(0);
  });
});
