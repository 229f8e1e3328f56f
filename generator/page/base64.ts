/**
 * Bytes Node ships through `page.evaluate` (the page has no file or network access): base64 in
 * chunks of a few MiB, so a capture of hundreds of MiB never becomes one giant protocol message.
 */
export function decodeBase64(b64: string): Uint8Array {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const uploads = new Map<string, Uint8Array>();

/** Writes one chunk of the upload `key` (`total` bytes) at `offset`; offset 0 starts it afresh. */
export function uploadChunk(key: string, total: number, offset: number, b64: string): void {
  let buf = uploads.get(key);
  if (!buf || offset === 0) {
    buf = new Uint8Array(total);
    uploads.set(key, buf);
  }
  buf.set(decodeBase64(b64), offset);
}

/** The finished upload `key` (and forgets it). */
export function takeUpload(key: string): Uint8Array {
  const buf = uploads.get(key);
  if (!buf) throw new Error(`nothing was uploaded as ${key.slice(0, 12)}`);
  uploads.delete(key);
  return buf;
}
