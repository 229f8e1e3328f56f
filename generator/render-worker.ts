import type { Browser, Page } from 'puppeteer-core';
import { DatadietError, isDatadietError } from '../core/index.ts';
import {
  DERIVED_INPUTS,
  DERIVED_LAYERS,
  EYES,
  memberName,
  type LayerName,
} from '../output/index.ts';
import type { SceneRecord } from '../scenes/index.ts';
import { shipAssets } from './asset-shipping.ts';
import { launchBrowser } from './browser.ts';
import { READ_RENDERER_JS, glMismatch, type ConcreteGl } from './gl.ts';
import { FRAME_MAGIC, canonicalLayers, frameLayout } from './frame-layout.ts';
import { occlusionMask } from './occlusion.ts';
import type { FrameServer } from './frame-server.ts';
import type { RenderOptions, RenderTimings } from './page/main.ts';

/** One rendered sequence: the bytes of every `<eye>.<layer>.npy` body, in canonical order. */
export interface RenderedSequence {
  members: { name: string; layer: LayerName; data: Buffer }[];
  timings: RenderTimings;
}

let nextWorkerId = 0;

/** One headless Chromium with one page, rendering one sequence at a time. */
export class RenderWorker {
  private browser: Browser | undefined;
  /** The launch `open` awaits: `close` waits for it, so a browser mid-launch is not left behind. */
  private launching: Promise<unknown> | undefined;
  private page: Page | undefined;
  private crashed: ((e: Error) => void) | undefined;
  private readonly id = `w${nextWorkerId++}`;

  constructor(
    private readonly server: FrameServer,
    private readonly browserPath: string,
    /** A sequence that takes longer than this is treated as a hung browser. */
    private readonly sequenceTimeoutMs = 600_000,
    /**
     * `--gl` backend, and the renderer string chooseGl found: every worker of a dataset must
     * render with the same one (byte-identical output holds per renderer).
     */
    private readonly gl: { gl: ConcreteGl; renderer?: string } = { gl: 'swiftshader' },
  ) {}

  /** The page's unmasked WebGL renderer, read when the worker opened. */
  renderer: string | null = null;

  get pid(): number | undefined {
    return this.browser?.process()?.pid;
  }

  async open(): Promise<void> {
    const launching = launchBrowser(this.browserPath, { gl: this.gl.gl });
    this.launching = launching.catch(() => {});
    try {
      this.browser = await launching;
    } finally {
      this.launching = undefined;
    }
    const browser = this.browser;
    browser.on('disconnected', () => this.crashed?.(new Error('the browser exited')));
    // A browser that exits (or is closed) while the page opens fails open() now, not after
    // puppeteer's 30 s timeouts.
    const exited = new Promise<never>((_, reject) =>
      browser.once('disconnected', () =>
        reject(
          new DatadietError('BROWSER_FAILED', 'the browser exited while the render page opened', {
            hint: 'check that the browser runs (`chromium --headless --version`)',
          }),
        ),
      ),
    );
    exited.catch(() => {});
    const errors: string[] = [];
    const page = await Promise.race([browser.newPage(), exited]);
    this.page = page;
    page.on('pageerror', (e) => errors.push(String(e)));
    await Promise.race([page.goto(this.server.pageUrl(this.id)), exited]);
    try {
      await Promise.race([
        page.waitForFunction('window.datadiet !== undefined', { timeout: 60_000 }),
        exited,
      ]);
      await Promise.race([page.evaluate('window.datadiet.ready'), exited]);
      this.renderer = (await Promise.race([page.evaluate(READ_RENDERER_JS), exited])) as
        string | null;
    } catch (e) {
      if (isDatadietError(e)) throw e;
      throw new DatadietError(
        'BROWSER_FAILED',
        `the render page did not start: ${errors[0] ?? (e as Error).message}`,
        {
          hint: 'the browser needs WebGL2; Chromium with SwiftShader (--use-angle=swiftshader) provides it',
          cause: e,
        },
      );
    }
    if (this.gl.renderer !== undefined && this.renderer !== this.gl.renderer) {
      throw glMismatch(this.gl.gl, this.renderer);
    }
  }

  async render(
    scene: SceneRecord,
    layers: LayerName[],
    transfer = true,
  ): Promise<RenderedSequence> {
    const page = this.page;
    if (!page) throw new Error('RenderWorker.render before open');
    const { width: w, height: h } = scene.camera;
    // The page draws what was asked plus the inputs of derived layers (occlusion), never those.
    const pageLayers = canonicalLayers([
      ...layers.filter((l) => !DERIVED_LAYERS.includes(l)),
      ...layers.flatMap((l) => DERIVED_INPUTS[l] ?? []),
    ]);
    const layout = frameLayout(pageLayers, w, h);
    const bodies = layout.slots.map((s) => ({
      name: memberName(s.eye, s.layer),
      layer: s.layer,
      data: transfer ? Buffer.allocUnsafe(s.bytes * scene.frames) : Buffer.alloc(0),
    }));
    let received = 0;
    let fail: (e: Error) => void = () => {};
    let allFrames: () => void = () => {};
    const framesDone = new Promise<void>((resolve, reject) => {
      allFrames = resolve;
      fail = reject;
    });
    if (!transfer || scene.frames === 0) allFrames();
    const seen = new Uint8Array(scene.frames);
    this.server.onFrames(this.id, (data) => {
      const head = new Uint32Array(data.buffer.slice(data.byteOffset, data.byteOffset + 16));
      const [magic, index, frame, bytes] = [head[0], head[1], head[2]!, head[3]];
      if (
        magic !== FRAME_MAGIC ||
        index !== scene.index ||
        bytes !== layout.totalBytes ||
        data.length !== bytes ||
        frame >= scene.frames ||
        seen[frame]
      ) {
        fail(
          new Error(
            `malformed frame from the page (sequence ${index}, frame ${frame}, ${data.length} bytes)`,
          ),
        );
        return;
      }
      seen[frame] = 1;
      layout.slots.forEach((s, i) =>
        data.copy(bodies[i]!.data, frame * s.bytes, s.offset, s.offset + s.bytes),
      );
      if (++received === scene.frames) allFrames();
    });

    await shipAssets(page, scene); // glTF assets and splat captures, once per page
    const opts: RenderOptions = { layers: pageLayers, transfer };
    const crashed = new Promise<never>((_, reject) => {
      this.crashed = reject;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`sequence ${scene.index} took over ${this.sequenceTimeoutMs / 1000} s`)),
        this.sequenceTimeoutMs,
      );
    });
    try {
      const rendering = page.evaluate(
        (s, o) => window.datadiet.renderSequence(s, o),
        scene as never,
        opts,
      );
      const [timings] = await Promise.race([
        Promise.all([rendering, framesDone]),
        crashed,
        timeout,
      ]);
      return { members: transfer ? withDerived(scene, layers, bodies) : bodies, timings };
    } catch (e) {
      throw new DatadietError(
        'RENDER_FAILED',
        `rendering sequence ${scene.index} failed: ${(e as Error).message.split('\n')[0]}`,
        {
          hint: 'rerun the same command to resume; if it repeats, try fewer --workers or a smaller size',
          cause: e,
        },
      );
    } finally {
      clearTimeout(timer);
      this.crashed = undefined;
      crashed.catch(() => {});
      framesDone.catch(() => {});
    }
  }

  async close(): Promise<void> {
    // open() sets this.browser before this wait ends (its continuation was queued first).
    await this.launching;
    const b = this.browser;
    this.browser = undefined;
    this.page = undefined;
    if (!b) return;
    // A hung browser never answers a polite close: give it a few seconds, then kill it.
    let timer: NodeJS.Timeout | undefined;
    const polite = b.close().then(
      () => true,
      () => false,
    );
    const closed = await Promise.race([
      polite,
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5000))),
    ]);
    clearTimeout(timer);
    if (!closed) b.process()?.kill('SIGKILL');
  }
}

/**
 * The members asked for, in canonical order: derived layers computed from the rendered ones,
 * rendered ones that were only inputs dropped.
 */
function withDerived(
  scene: SceneRecord,
  layers: LayerName[],
  rendered: RenderedSequence['members'],
): RenderedSequence['members'] {
  const get = (name: string) => rendered.find((m) => m.name === name)?.data;
  const out: RenderedSequence['members'] = [];
  for (const eye of EYES) {
    for (const layer of canonicalLayers(layers)) {
      const name = memberName(eye, layer);
      if (layer !== 'occlusion') {
        out.push(rendered.find((m) => m.name === name)!);
        continue;
      }
      // Small buffers come from Node's pool at any offset: copy when a view would be unaligned.
      const bytes = (b: Buffer, size: number): Uint8Array =>
        b.byteOffset % size === 0 ? b : new Uint8Array(b);
      const f32 = (b: Buffer) => {
        const a = bytes(b, 4);
        return new Float32Array(a.buffer, a.byteOffset, a.byteLength / 4);
      };
      const u16 = (b: Buffer) => {
        const a = bytes(b, 2);
        return new Uint16Array(a.buffer, a.byteOffset, a.byteLength / 2);
      };
      const mask = occlusionMask({
        rec: scene,
        eye,
        depth: f32(get(memberName(eye, 'depth'))!),
        seg: u16(get(memberName(eye, 'seg'))!),
        valid: get(memberName(eye, 'valid'))!,
      });
      out.push({ name, layer, data: Buffer.from(mask.buffer, mask.byteOffset, mask.byteLength) });
    }
  }
  return out;
}
