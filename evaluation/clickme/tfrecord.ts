/**
 * TFRecord files, the container TensorFlow writes `tf.train.Example`s into. Each record is
 *   uint64 LE length · uint32 LE masked CRC-32C(length bytes) · data · uint32 LE masked CRC-32C(data)
 * The reader checks both CRCs and reads one record at a time (positional reads, so a multi-GB
 * shard never sits in memory); the writer is atomic (temp file + rename).
 */
import { createRequire } from 'node:module';
import { open, rename, rm } from 'node:fs/promises';
import { DatadietError, uniqueSuffix } from '../../core/index.ts';

// crc-32 ships no types for its CRC-32C entry point; this is the one function we use.
const CRC32C = createRequire(import.meta.url)('crc-32/crc32c') as {
  buf(data: Uint8Array, seed?: number): number;
};

const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;
const MASK_DELTA = 0xa282ead8;
const EMPTY = new Uint8Array(0);

/** CRC-32C (Castagnoli) as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array): number {
  return CRC32C.buf(data) >>> 0;
}

/** TFRecord's CRC mask: rotate right by 15 and add a constant (so CRCs of CRCs stay useful). */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/** One record framed for a TFRecord file. */
export function encodeTfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + data.length + FOOTER_BYTES);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskCrc(crc32c(out.subarray(0, 8))), 8);
  out.set(data, HEADER_BYTES);
  out.writeUInt32LE(maskCrc(crc32c(data)), HEADER_BYTES + data.length);
  return out;
}

export interface TfRecord {
  /** 0-based position of the record in its file. */
  index: number;
  /** Byte offset of the record's length field. */
  offset: number;
  data: Uint8Array;
}

function corrupt(file: string, index: number, offset: number, what: string): DatadietError {
  return new DatadietError(
    'TFRECORD_CORRUPT',
    `${file}: record ${index} at byte ${offset}: ${what}`,
    { hint: 'the file is damaged or incomplete; download or copy it again' },
  );
}

/**
 * Yields the records of a TFRecord file in order, checking both CRCs of each. A bad CRC or a
 * truncated record raises TFRECORD_CORRUPT naming the file, record index and byte offset.
 */
export function readTfRecords(file: string): AsyncGenerator<TfRecord> {
  return walkRecords(file, true);
}

async function* walkRecords(file: string, readData: boolean): AsyncGenerator<TfRecord> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatadietError('DATASET_NOT_FOUND', `${file} does not exist`, {
        hint: 'check the path to the TFRecord file',
        cause: e,
      });
    }
    throw e;
  }
  try {
    const size = (await fh.stat()).size;
    const header = Buffer.alloc(HEADER_BYTES);
    let offset = 0;
    for (let index = 0; offset < size; index++) {
      if (size - offset < HEADER_BYTES) {
        throw corrupt(file, index, offset, `truncated header (${size - offset} of 12 bytes)`);
      }
      if ((await fh.read(header, 0, HEADER_BYTES, offset)).bytesRead < HEADER_BYTES) {
        throw corrupt(file, index, offset, 'file shrank while reading');
      }
      if (header.readUInt32LE(8) !== maskCrc(crc32c(header.subarray(0, 8)))) {
        throw corrupt(file, index, offset, 'length CRC mismatch');
      }
      const length = header.readBigUInt64LE(0);
      const left = BigInt(size - offset - HEADER_BYTES - FOOTER_BYTES);
      if (length > left) {
        throw corrupt(file, index, offset, `truncated data (length ${length}, ${left} bytes left)`);
      }
      const n = Number(length);
      if (!readData) {
        yield { index, offset, data: EMPTY };
        offset += HEADER_BYTES + n + FOOTER_BYTES;
        continue;
      }
      const body = Buffer.alloc(n + FOOTER_BYTES);
      if ((await fh.read(body, 0, body.length, offset + HEADER_BYTES)).bytesRead < body.length) {
        throw corrupt(file, index, offset, 'file shrank while reading');
      }
      const data = body.subarray(0, n);
      if (body.readUInt32LE(n) !== maskCrc(crc32c(data))) {
        throw corrupt(file, index, offset, 'data CRC mismatch');
      }
      yield { index, offset, data };
      offset += HEADER_BYTES + n + FOOTER_BYTES;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Counts the records of a file by walking its length fields (checking their CRCs and that the
 * file is not truncated) without reading the data: lets a caller size one buffer up front.
 */
export async function countTfRecords(file: string): Promise<number> {
  let count = 0;
  for await (const _ of walkRecords(file, false)) count++;
  return count;
}

/** Writes records to a TFRecord file atomically (temp file, fsync, rename); returns the count. */
export async function writeTfRecords(
  file: string,
  records: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<number> {
  const tmp = `${file}.tmp-${uniqueSuffix()}`;
  let count = 0;
  try {
    const fh = await open(tmp, 'w');
    try {
      for await (const data of records) {
        await fh.write(encodeTfRecord(data));
        count++;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return count;
}
