import { readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { DatadietError } from '../../core/index.ts';
import { invalid, type GltfJson } from './glb.ts';

// Self-contained form: external buffers and images become data URIs.

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.bin': 'application/octet-stream',
};

function decodeDataUri(uri: string, file: string): Uint8Array {
  const comma = uri.indexOf(',');
  if (comma < 0) throw invalid(file, 'malformed data URI');
  const head = uri.slice(0, comma);
  const body = uri.slice(comma + 1);
  return head.endsWith(';base64')
    ? new Uint8Array(Buffer.from(body, 'base64'))
    : new TextEncoder().encode(decodeURIComponent(body));
}

function readExternal(uri: string, base: string, file: string): Uint8Array {
  if (/^[a-z]+:/i.test(uri)) throw invalid(file, `external URI ${uri} (only relative files)`);
  const p = join(base, decodeURIComponent(uri));
  try {
    return new Uint8Array(readFileSync(p));
  } catch {
    throw new DatadietError('ASSET_NOT_FOUND', `${file}: cannot read ${uri} (looked for ${p})`, {
      hint: 'keep a .gltf file next to the .bin and image files it names',
    });
  }
}

export function selfContained(json: GltfJson, bin: Uint8Array | undefined, file: string) {
  const base = dirname(file);
  const buffers: Uint8Array[] = [];
  let changed = false;
  for (const [i, b] of (json.buffers ?? []).entries()) {
    if (b.uri === undefined) {
      if (i !== 0 || !bin) throw invalid(file, `buffer ${i} has no uri and there is no BIN chunk`);
      buffers.push(bin);
    } else if (b.uri.startsWith('data:')) {
      buffers.push(decodeDataUri(b.uri, file));
    } else {
      const data = readExternal(b.uri, base, file);
      buffers.push(data);
      b.uri = `data:application/octet-stream;base64,${Buffer.from(data).toString('base64')}`;
      changed = true;
    }
  }
  for (const img of json.images ?? []) {
    if (img.uri === undefined || img.uri.startsWith('data:')) continue;
    const data = readExternal(img.uri, base, file);
    const mime = img.mimeType ?? MIME[extname(img.uri).toLowerCase()] ?? 'image/png';
    img.uri = `data:${mime};base64,${Buffer.from(data).toString('base64')}`;
    changed = true;
  }
  return { buffers, changed };
}
