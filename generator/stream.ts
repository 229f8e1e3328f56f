/**
 * Renders sequences straight into memory, in index order, for training without a dataset on disk
 * (`datadiet train --stream`). The same workers, scene sampler and member encoding as
 * `generateDataset`, so sequence i's members are the bytes shard writing would store. At most
 * `lookahead` sequences are rendered ahead of the consumer (backpressure: memory stays bounded).
 * A crashed or hung browser is restarted and its sequence rendered again, giving the same bytes.
 */
import { DatadietError, isDatadietError } from '../core/index.ts';
import type { Sample } from '../output/index.ts';
import { prepareSampler, sampleScene, type Spec } from '../scenes/index.ts';
import { findBrowser } from './browser.ts';
import { sequenceKey } from './dataset-meta.ts';
import { FrameServer } from './frame-server.ts';
import type { ConcreteGl } from './gl.ts';
import { killQuietly, sequenceMembers } from './generate.ts';
import { RenderWorker } from './render-worker.ts';

export interface RenderStreamOptions {
  spec: Spec;
  /** Browsers rendering in parallel. */
  workers?: number;
  browserPath?: string | undefined;
  /**
   * WebGL backend and the renderer string `chooseGl` found (default SwiftShader, unchecked); the
   * renderer is part of the stream's fingerprint, as it is of a dataset's.
   */
  gl?: { gl: ConcreteGl; renderer?: string } | undefined;
  /** Sequences rendered ahead of the consumer (default 2 per worker). */
  lookahead?: number;
  /** Crashes or hangs tolerated per sequence before giving up. */
  maxRetries?: number;
  sequenceTimeoutMs?: number;
  onEvent?: (e: StreamEvent) => void;
}

export type StreamEvent =
  | { type: 'sequence'; index: number }
  | { type: 'retry'; index: number; attempt: number; reason: string };

interface Slot {
  done: Promise<Sample>;
  resolve: (s: Sample) => void;
  reject: (e: unknown) => void;
}

function slot(): Slot {
  let resolve!: (s: Sample) => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<Sample>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(() => {}); // awaited by the consumer; a failure after it stopped is not news
  return { done, resolve, reject };
}

/** Samples of the given sequence indices (any iterable, endless too), in that order. */
export async function* renderSequences(
  opts: RenderStreamOptions,
  indices: Iterable<number>,
): AsyncGenerator<Sample> {
  const { spec } = opts;
  const browser = findBrowser(opts.browserPath);
  await prepareSampler(spec);
  const nWorkers = Math.max(1, opts.workers ?? 1);
  const lookahead = Math.max(1, opts.lookahead ?? 2 * nWorkers);
  const order = indices[Symbol.iterator]();
  const slots: ({ index: number; slot: Slot } | undefined)[] = [];
  let exhausted = false;
  let stopped = false;
  let claimed = 0;
  let consumed = 0;
  const waiters: (() => void)[] = [];
  const notify = () => {
    for (const w of waiters.splice(0)) w();
  };
  const wait = () => new Promise<void>((res) => waiters.push(res));
  const server = await FrameServer.start();
  const workers = Array.from({ length: nWorkers }, () => ({
    worker: new RenderWorker(server, browser, opts.sequenceTimeoutMs, opts.gl),
    opened: false,
  }));

  const render = async (w: (typeof workers)[number], index: number): Promise<Sample> => {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!w.opened) {
          await w.worker.open();
          w.opened = true;
        }
        const rec = sampleScene(spec, index);
        const seq = await w.worker.render(rec, spec.layers);
        const members = new Map<string, Buffer>();
        for (const m of sequenceMembers(spec, rec, seq)) {
          members.set(m.name, Array.isArray(m.data) ? Buffer.concat(m.data) : m.data);
        }
        return { key: sequenceKey(index), members, shard: `stream of ${spec.name}` };
      } catch (e) {
        const retryable =
          isDatadietError(e) && (e.code === 'RENDER_FAILED' || e.code === 'BROWSER_FAILED');
        // A hung browser never answers a polite close: kill it first; a crashed one is gone.
        if (retryable && w.worker.pid !== undefined) killQuietly(w.worker.pid);
        await w.worker.close().catch(() => {});
        w.opened = false;
        if (!retryable) throw e;
        const last = e as DatadietError;
        if (attempt >= (opts.maxRetries ?? 2)) {
          throw new DatadietError(
            last.code,
            `sequence ${index} failed ${attempt + 1} times in a row (browser crashed or hung), giving up; last: ${last.message}`,
            { hint: last.hint ?? 'try fewer --render-workers or a smaller size', cause: e },
          );
        }
        opts.onEvent?.({ type: 'retry', index, attempt: attempt + 1, reason: last.message });
      }
    }
  };

  // Each worker renders the next unclaimed index while the window ahead of the consumer has room.
  const loop = async (w: (typeof workers)[number]) => {
    while (!stopped && !exhausted) {
      if (claimed - consumed >= lookahead) {
        await wait();
        continue;
      }
      const next = order.next();
      if (next.done) {
        exhausted = true;
        notify();
        return;
      }
      const s = { index: next.value, slot: slot() };
      slots.push(s);
      claimed++;
      notify();
      try {
        s.slot.resolve(await render(w, s.index));
        opts.onEvent?.({ type: 'sequence', index: s.index });
      } catch (e) {
        s.slot.reject(e);
        stopped = true;
        notify();
        return;
      }
    }
  };
  const running = Promise.all(workers.map(loop));
  try {
    for (let i = 0; ; i++) {
      while (slots.length <= i && !exhausted && !stopped) await wait();
      const s = slots[i];
      if (!s) break;
      const sample = await s.slot.done;
      slots[i] = undefined; // let the bytes go once handed over
      consumed++;
      notify();
      yield sample;
    }
  } finally {
    stopped = true;
    notify();
    await running.catch(() => {});
    await Promise.all(workers.map((w) => w.worker.close().catch(() => {})));
    await server.close();
  }
}
