import { accessSync, constants } from 'node:fs';
import { launch, type Browser } from 'puppeteer-core';
import { DatadietError } from '../core/index.ts';
import {
  READ_RENDERER_JS,
  describeRenderer,
  glFlags,
  glMismatch,
  honours,
  rendererRecord,
  type ConcreteGl,
  type GlMode,
  type RendererRecord,
} from './gl.ts';

/** Where a system browser usually lives (Debian's chromium first: it is what CI installs). */
const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `--browser`, then $DATADIET_BROWSER, $PUPPETEER_EXECUTABLE_PATH, then the usual install paths. */
export function findBrowser(explicit?: string): string {
  const fromEnv = process.env.DATADIET_BROWSER || process.env.PUPPETEER_EXECUTABLE_PATH;
  const chosen = explicit ?? fromEnv;
  if (chosen) {
    if (executable(chosen)) return chosen;
    throw new DatadietError(
      'BROWSER_NOT_FOUND',
      `browser ${chosen} does not exist or is not executable`,
      {
        hint: 'pass --browser /path/to/chromium or install Debian chromium (apt-get install chromium)',
      },
    );
  }
  const found = CANDIDATES.find(executable);
  if (found) return found;
  throw new DatadietError('BROWSER_NOT_FOUND', 'no Chromium or Chrome found', {
    hint: 'install one (Debian: apt-get install chromium) or pass --browser / set DATADIET_BROWSER',
  });
}

/**
 * Flags measured to run headless as root with no network (PROBES.md); the network-quieting flags
 * stop Chromium from calling home at every start. The GL flags come from gl.ts per `--gl`.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export async function launchBrowser(
  executablePath: string,
  opts: { gl?: ConcreteGl } = {},
): Promise<Browser> {
  try {
    return await launch({
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS, ...glFlags(opts.gl ?? 'swiftshader')],
      protocolTimeout: 600_000,
      // DevTools over a pipe, not a port: puppeteer starts the browser in its own process group,
      // so when this process dies (kill -9, OOM) only the closed pipe tells Chromium to exit.
      pipe: true,
      // Without this, DevTools mirrors every WebSocket frame to puppeteer as base64 JSON
      // (Network.webSocketFrameSent): measured 12 MB/s page→Node with it, 69 MB/s without.
      networkEnabled: false,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (e) {
    throw new DatadietError(
      'BROWSER_FAILED',
      `could not start ${executablePath}: ${(e as Error).message.split('\n')[0]}`,
      {
        hint: 'check that the browser runs (`chromium --headless --version`) or pass another with --browser',
        cause: e,
      },
    );
  }
}

/** The unmasked WebGL2 renderer a browser launched with `--gl gl` gives (null: no WebGL2). */
export async function probeRenderer(
  executablePath: string,
  gl: ConcreteGl,
): Promise<string | null> {
  const browser = await launchBrowser(executablePath, { gl });
  try {
    const page = await browser.newPage();
    return (await page.evaluate(READ_RENDERER_JS)) as string | null;
  } finally {
    await browser.close().catch(() => {});
  }
}

/** A `--gl` choice made concrete and checked, with the renderer it gives. */
export interface GlChoice {
  record: RendererRecord;
  /** For a person: what was tried and why this one. */
  note: string;
}

/**
 * `auto` takes a hardware renderer when one starts (EGL first: it is how NVIDIA nodes render
 * headless), else the faster software one measured here: llvmpipe through EGL (BENCHMARKS.md,
 * "llvmpipe vs SwiftShader"), else SwiftShader. An explicit choice must be honoured or fails.
 */
export function chooseGl(executablePath: string, mode: GlMode): Promise<GlChoice> {
  // Once per process and browser: each probe is a browser launch (~1–2 s here).
  const key = `${executablePath}\0${mode}`;
  let choice = chosen.get(key);
  if (choice === undefined) {
    choice = probeGl(executablePath, mode);
    chosen.set(key, choice);
    choice.catch(() => chosen.delete(key));
  }
  return choice;
}

const chosen = new Map<string, Promise<GlChoice>>();

async function probeGl(executablePath: string, mode: GlMode): Promise<GlChoice> {
  if (mode !== 'auto') {
    const got = await probeRenderer(executablePath, mode);
    if (got === null || !honours(mode, describeRenderer(got))) throw glMismatch(mode, got);
    return { record: rendererRecord(mode, got), note: `requested` };
  }
  const tried: string[] = [];
  let softwareEgl: string | null = null;
  for (const gl of ['egl', 'vulkan'] as const) {
    const got = await probeRenderer(executablePath, gl);
    const info = got === null ? null : describeRenderer(got);
    if (info && honours(gl, info) && info.device === 'hardware') {
      return { record: rendererRecord(gl, got!), note: `auto: hardware through ${gl}` };
    }
    if (gl === 'egl' && info && honours(gl, info)) softwareEgl = got;
    tried.push(`${gl}: ${got ?? 'no WebGL2'}`);
  }
  if (softwareEgl !== null) {
    return {
      record: rendererRecord('egl', softwareEgl),
      note: `auto: no hardware renderer (${tried.join('; ')}); llvmpipe through EGL, the faster software renderer here`,
    };
  }
  const got = await probeRenderer(executablePath, 'swiftshader');
  if (got === null || !honours('swiftshader', describeRenderer(got))) {
    throw glMismatch('swiftshader', got);
  }
  return {
    record: rendererRecord('swiftshader', got),
    note: `auto: no hardware renderer and no EGL (${tried.join('; ')}); SwiftShader`,
  };
}
