import { accessSync, constants } from 'node:fs';
import { launch, type Browser } from 'puppeteer-core';
import { DatadietError } from '../core/errors.ts';

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
 * Flags measured to give WebGL2 through SwiftShader headless, as root, with no network
 * (PROBES.md); the network-quieting flags stop Chromium from calling home at every start.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
];

export async function launchBrowser(executablePath: string): Promise<Browser> {
  try {
    return await launch({
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
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
