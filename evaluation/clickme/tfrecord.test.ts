import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatadietError } from '../../core/index.ts';
import { expectDatadietError } from '../../core/test-helpers.ts';
import { tempDir } from '../../generator/test-helpers.ts';
import {
  countTfRecords,
  crc32c,
  encodeTfRecord,
  maskCrc,
  readTfRecords,
  writeTfRecords,
} from './tfrecord.ts';

/** Bitwise CRC-32C (reflected polynomial 0x82F63B78): an independent check on the library. */
function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

async function readAll(file: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const r of readTfRecords(file)) out.push(Uint8Array.from(r.data));
  return out;
}

async function expectCorrupt(file: string, pattern: RegExp): Promise<DatadietError> {
  const e = await expectDatadietError(readAll(file), 'TFRECORD_CORRUPT', pattern);
  expect(e.message).toContain(file);
  return e;
}

const RECORDS = [
  new TextEncoder().encode('first record'),
  new Uint8Array(0),
  Uint8Array.from({ length: 3000 }, (_, i) => (i * 31) & 0xff),
];

describe('CRC-32C and the TFRecord mask', () => {
  it('matches the CRC-32C check value and a bitwise implementation', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    for (const r of RECORDS) expect(crc32c(r)).toBe(crc32cBitwise(r));
  });

  it('masks by rotating right 15 and adding 0xa282ead8 (mod 2^32)', () => {
    expect(maskCrc(0)).toBe(0xa282ead8);
    // rotr15(0xe3069283) = 0x2507c60d; + 0xa282ead8 = 0xc78ab0e5 (hand-computed)
    expect(maskCrc(0xe3069283)).toBe(0xc78ab0e5);
  });

  it('frames a record as length, masked length CRC, data, masked data CRC', () => {
    const data = RECORDS[0]!;
    const framed = encodeTfRecord(data);
    expect(framed.length).toBe(8 + 4 + data.length + 4);
    expect(framed.readBigUInt64LE(0)).toBe(BigInt(data.length));
    expect(framed.readUInt32LE(8)).toBe(maskCrc(crc32cBitwise(framed.subarray(0, 8))));
    expect(Uint8Array.from(framed.subarray(12, 12 + data.length))).toEqual(data);
    expect(framed.readUInt32LE(12 + data.length)).toBe(maskCrc(crc32cBitwise(data)));
  });
});

describe('TFRecord files', () => {
  it('round-trips records (including an empty one) with their offsets', async () => {
    const file = join(await tempDir('tfrecord'), 'a.tfrecords');
    expect(await writeTfRecords(file, RECORDS)).toBe(3);
    expect(await readAll(file)).toEqual(RECORDS);
    const offsets: number[] = [];
    for await (const r of readTfRecords(file)) offsets.push(r.offset);
    expect(offsets).toEqual([0, 16 + RECORDS[0]!.length, 32 + RECORDS[0]!.length]);
    expect((await readFile(file)).length).toBe(16 * 3 + 12 + 3000);
  });

  it('rejects a flipped data byte, naming the record and its byte offset', async () => {
    const file = join(await tempDir('tfrecord'), 'data.tfrecords');
    await writeTfRecords(file, RECORDS);
    const bytes = await readFile(file);
    const third = 32 + RECORDS[0]!.length; // offset of record 2
    bytes[third + 12 + 1500]! ^= 0x01;
    await writeFile(file, bytes);
    await expectCorrupt(file, new RegExp(`record 2 at byte ${third}: data CRC mismatch`));
  });

  it('counts records from the length fields alone (data CRCs are left to the reader)', async () => {
    const file = join(await tempDir('tfrecord'), 'count.tfrecords');
    await writeTfRecords(file, RECORDS);
    expect(await countTfRecords(file)).toBe(3);
    const bytes = await readFile(file);
    bytes[12 + 2]! ^= 0xff; // a data byte of record 0
    await writeFile(file, bytes);
    expect(await countTfRecords(file)).toBe(3);
    bytes[16 + RECORDS[0]!.length]! ^= 0x01; // the length of record 1
    await writeFile(file, bytes);
    await expect(countTfRecords(file)).rejects.toThrow(/record 1 at byte 28: length CRC mismatch/);
    const missing = join(await tempDir('tfrecord'), 'missing.tfrecords');
    await expect(countTfRecords(missing)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });

  it('rejects a flipped length byte', async () => {
    const file = join(await tempDir('tfrecord'), 'len.tfrecords');
    await writeTfRecords(file, RECORDS);
    const bytes = await readFile(file);
    bytes[0]! ^= 0x04;
    await writeFile(file, bytes);
    await expectCorrupt(file, /record 0 at byte 0: length CRC mismatch/);
  });

  it('rejects a truncated file, in the data and in the header', async () => {
    const dir = await tempDir('tfrecord');
    await writeTfRecords(join(dir, 'full.tfrecords'), RECORDS);
    const full = await readFile(join(dir, 'full.tfrecords'));
    const cutData = join(dir, 'cut-data.tfrecords');
    await writeFile(cutData, full.subarray(0, full.length - 3));
    await expectCorrupt(cutData, /record 2 at byte \d+: truncated data/);
    const cutHeader = join(dir, 'cut-header.tfrecords');
    await writeFile(cutHeader, full.subarray(0, 16 + RECORDS[0]!.length + 5));
    await expectCorrupt(cutHeader, /record 1 at byte 28: truncated header/);
  });

  it('leaves no file behind when the records fail midway', async () => {
    const dir = await tempDir('tfrecord');
    const file = join(dir, 'x.tfrecords');
    function* failing() {
      yield RECORDS[0]!;
      throw new Error('source broke');
    }
    await expect(writeTfRecords(file, failing())).rejects.toThrow('source broke');
    expect(await readdir(dir)).toEqual([]);
  });
});
