/**
 * A sample source that renders its sequences on demand (`datadiet train --stream`): sequence
 * indices run on without end, each seen once, or `replay` times in a row when asked. Ordinal g is
 * sequence ⌊g / replay⌋, so a resumed run re-renders only the sequences whose clips its saved
 * shuffle buffer holds and continues from the recorded ordinal. Every sample goes through the same
 * `toClips` checks as a shard's.
 */
import { packageVersion } from '../core/index.ts';
import {
  buildManifest,
  datasetFingerprint,
  renderSequences,
  type RenderStreamOptions,
  StreamCache,
} from '../generator/index.ts';
import { prepareSampler, type Spec } from '../scenes/index.ts';
import { dataInfoOf, type DataInfo } from './loader.ts';
import type { SampleSource, ToClips } from './sources.ts';

export interface StreamSourceOptions extends Omit<RenderStreamOptions, 'spec'> {
  spec: Spec;
  /** Times each sequence is used (consecutive ordinals), default 1. */
  replay?: number;
  /**
   * Also keep the rendered sequences here as an ordinary dataset (`--cache DIR`): shards and a
   * manifest for the sequences streamed so far; a rerun continues it.
   */
  cache?: string | undefined;
}

/** The manifest a dataset of this spec would have (its shard list empty), for shape facts. */
export async function streamManifest(spec: Spec, renderer?: string) {
  const version = await packageVersion();
  const inputs = await prepareSampler(spec);
  return buildManifest({
    spec,
    generatorVersion: version,
    fingerprint: datasetFingerprint(spec, version, inputs, renderer),
    shards: [],
  });
}

export async function streamSource(
  opts: StreamSourceOptions,
): Promise<{ source: SampleSource; info: DataInfo }> {
  const replay = Math.max(1, opts.replay ?? 1);
  const manifest = await streamManifest(opts.spec, opts.gl?.renderer);
  const describe = `stream of ${opts.spec.name}`;
  const info = dataInfoOf(manifest, describe);
  const cache = opts.cache
    ? await StreamCache.open({
        dir: opts.cache,
        spec: opts.spec,
        fingerprint: String(manifest.fingerprint),
      })
    : null;
  const source: SampleSource = {
    describe,
    skipped: { shards: [], samples: [] },
    async *groups<C>(from: number, toClips: ToClips<C>) {
      const first = Math.floor(from / replay);
      // The cache has no gaps: a resumed run first renders what it lacks before `first`.
      const start = cache ? Math.min(first, cache.next) : first;
      function* indices() {
        for (let i = start; ; i++) yield i;
      }
      let index = start;
      for await (const sample of renderSequences(opts, indices())) {
        const i = index++;
        await cache?.add(i, sample);
        if (i < first) continue;
        for (let ordinal = i * replay; ordinal < (i + 1) * replay; ordinal++) {
          if (ordinal < from) continue;
          yield { first: ordinal, clips: toClips(sample, ordinal) };
        }
      }
    },
    async fetch<C>(ordinals: Set<number>, toClips: ToClips<C>) {
      const out = new Map<number, C[]>();
      const bySequence = new Map<number, number[]>();
      for (const o of ordinals) {
        const i = Math.floor(o / replay);
        bySequence.set(i, [...(bySequence.get(i) ?? []), o]);
      }
      const wanted = [...bySequence.keys()].sort((a, b) => a - b);
      let k = 0;
      for await (const sample of renderSequences(opts, wanted)) {
        for (const o of bySequence.get(wanted[k++] as number) ?? []) out.set(o, toClips(sample, o));
      }
      return out;
    },
    async close() {
      await cache?.close();
    },
  };
  return { source, info };
}
