import type { Page } from 'puppeteer-core';
import { assetBytes, splatBytes, type SceneRecord } from '../scenes/index.ts';
import { sparkBundle } from './spark-bundle.ts';

const CHUNK_BYTES = 8 << 20;

/** Uploads bytes to the page under `key` in base64 chunks (one protocol message each). */
async function upload(page: Page, key: string, bytes: Uint8Array): Promise<void> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  do {
    const b64 = buf.subarray(at, at + CHUNK_BYTES).toString('base64');
    await page.evaluate(
      (k, total, offset, data) => window.datadietAssets.upload(k, total, offset, data),
      key,
      buf.length,
      at,
      b64,
    );
    at += CHUNK_BYTES;
  } while (at < buf.length);
}

/**
 * Sends the glTF assets and the splat capture a scene needs to the page, each once per page
 * (keyed by sha256): the page cannot read files, and bytes through `page.evaluate` need no server.
 */
export async function shipAssets(page: Page, scene: SceneRecord): Promise<void> {
  const wanted = new Map<string, () => Promise<void>>();
  for (const o of scene.objects) {
    const a = o.asset;
    if (!a || wanted.has(a.sha256)) continue;
    wanted.set(a.sha256, async () => {
      await upload(page, a.sha256, assetBytes(a));
      await page.evaluate((sha) => window.datadietAssets.putGltf(sha), a.sha256);
    });
  }
  const sp = scene.background.splat;
  if (sp && !(await page.evaluate(() => window.datadietAssets.hasSpark()))) {
    const code = await sparkBundle();
    await page.evaluate((c) => window.datadietAssets.loadSpark(c), code);
  }
  if (sp && !wanted.has(sp.sha256)) {
    wanted.set(sp.sha256, async () => {
      await upload(page, sp.sha256, splatBytes(sp));
      await page.evaluate(
        (sha, format) => window.datadietAssets.putSplat(sha, format),
        sp.sha256,
        sp.format,
      );
    });
  }
  for (const [sha, send] of wanted) {
    const present = await page.evaluate((s) => window.datadietAssets.has(s), sha);
    if (!present) await send();
  }
}
