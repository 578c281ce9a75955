import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fetchProfile } from '../src/acquire/fetch-profile';
import { KEYS } from '../src/parameters/schema';
import { decompress } from '../src/profile/decompress';
import { InflatedParts, InflateStream, joinParts, partBuffers } from '../src/profile/inflate-stream';
import { analyze } from '../src/report/analyze';
import { RESULT } from '../src/result/answer';
import { AnalyzePool } from '../src/workers/analyze-pool';
import { goPprofTool, goPprofTop } from './support/go-pprof';
import { request, serve } from './support/http-json';
import { writeServerProfile } from './support/server-program';
import { RunningService, startService } from './support/service';

// The service gunzips a fetched profile while its body arrives (src/profile/inflate-stream.ts), then hands zlib's
// parts to a decode worker, which joins them. Held here to decompress()'s answers, bytes and errors alike.

const MB = 1024 * 1024;
/** Bytes that do not compress, so the gzip is as large as they are: several of the stream's 1 MB batches. */
const incompressible = crypto.randomBytes(3 * MB + 12345);

/** The stream's answer, fed in chunks of the given sizes (cycled): the bytes, undefined, or the error's message. */
async function streamed(bytes: Uint8Array, maxBytes: number, sizes = [65536]): Promise<Uint8Array | undefined | string> {
  const stream = new InflateStream(maxBytes);
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length];
    stream.push(bytes.subarray(at, at + n));
    at += n;
  }
  expect(stream.received).toBe(bytes.length);
  return stream.end().then((inflated) => inflated && joinParts(inflated), (error: Error) => error.message);
}

function decompressed(bytes: Uint8Array, maxBytes: number): Uint8Array | string {
  try {
    return decompress(bytes, maxBytes);
  } catch (error) {
    return (error as Error).message;
  }
}

describe('InflateStream', () => {
  const gz = zlib.gzipSync(incompressible);

  test('gives decompress()\'s bytes, whatever the chunks, joined into a buffer of their own', async () => {
    for (const sizes of [[65536], [1, 1, 1, 65536], [7, 100_000, 3], [MB], [gz.length]]) {
      const out = (await streamed(gz, 64 * MB, sizes)) as Uint8Array;
      expect(out).toBeInstanceOf(Uint8Array);
      expect(out.buffer.byteLength).toBe(out.length); // the decoder may free it once read
      expect(Buffer.from(out).equals(incompressible)).toBe(true);
    }
    // zlib's parts, as the worker gets them, are freed as they are joined.
    const stream = new InflateStream(64 * MB);
    stream.push(gz);
    const inflated = (await stream.end()) as InflatedParts;
    expect(inflated.parts.length).toBeGreaterThan(1);
    expect(partBuffers(inflated).length).toBeGreaterThan(1);
    joinParts(inflated);
    expect(inflated.parts.every((part) => part.byteLength === 0)).toBe(true);
  });

  test.each([
    ['cut short', () => gz.subarray(0, gz.length - 100)],
    ['a corrupt block', () => Buffer.concat([gz.subarray(0, 2 * MB), Buffer.alloc(4096, 0xff), gz.subarray(2 * MB + 4096)])],
    ['two members', () => Buffer.concat([gz, zlib.gzipSync(Buffer.from('second member'))])],
    ['trailing bytes that are not gzip', () => Buffer.concat([gz, Buffer.from('trailing garbage')])],
    ['a bad checksum', () => Buffer.concat([gz.subarray(0, gz.length - 8), Buffer.alloc(4), gz.subarray(gz.length - 4)])],
  ])('%s: what decompress() says', async (_name, make) => {
    const bytes = make();
    const expected = decompressed(bytes, 64 * MB);
    const out = await streamed(bytes, 64 * MB);
    if (typeof expected === 'string') expect(out).toBe(expected);
    else expect(Buffer.from(out as Uint8Array).equals(Buffer.from(expected))).toBe(true);
  });

  test('stops at the limit with decompress()\'s error, a gzip bomb included', async () => {
    const limit = 2 * MB;
    expect(await streamed(gz, limit)).toBe(decompressed(gz, limit));
    expect(await streamed(gz, limit)).toMatch(/expands past the limit of 2097152 bytes \(MAX_PROFILE_BYTES\)/);
    // Each member 64 MB of zeros in about 64 KB; twenty of them, past the limit and over more than one batch.
    const member = zlib.gzipSync(Buffer.alloc(64 * MB), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 20 }, () => member));
    expect(bomb.length).toBeGreaterThan(MB);
    const before = process.memoryUsage().rss;
    expect(await streamed(bomb, 64 * MB)).toBe(decompressed(bomb, 64 * MB));
    expect(await streamed(bomb, 64 * MB)).toMatch(/expands past the limit/);
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * MB);
  }, 60_000);

  test('leaves bytes that are not gzipped, and bodies of one batch, to the worker', async () => {
    expect(await streamed(incompressible, 64 * MB)).toBeUndefined();
    expect(await streamed(zlib.gzipSync(Buffer.from('small')), 64 * MB)).toBeUndefined();
    expect(await streamed(new Uint8Array(0), 64 * MB)).toBeUndefined();
  });
});

describe('a real Go server\'s heap profile, gunzipped while it arrives', () => {
  let file: string;
  let gzipped: Buffer;
  let source: { url: string; close(): Promise<void> };
  let svc: RunningService;

  beforeAll(async () => {
    await goPprofTool();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inflate-stream-'));
    file = await writeServerProfile('heap', path.join(dir, 'heap.pb.gz'), { paths: 100_000 });
    gzipped = fs.readFileSync(file);
    // Sent in small writes, as a network delivers it.
    source = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': gzipped.length });
      for (let at = 0; at < gzipped.length; at += 16384) res.write(gzipped.subarray(at, at + 16384));
      res.end();
    });
    svc = await startService();
  }, 240_000);

  afterAll(async () => {
    await svc?.stop();
    await source?.close();
  });

  test('is several batches long, and its parts decode in a worker as the gzipped bytes do in this thread', async () => {
    expect(gzipped.length).toBeGreaterThan(2 * MB);
    const stream = new InflateStream(256 * MB);
    const fetched = await fetchProfile(new URL(source.url), { timeoutMs: 30_000, maxBytes: 256 * MB, onBody: (chunk) => stream.push(chunk) });
    expect(fetched.bytes.equals(gzipped)).toBe(true);
    const inflated = (await stream.end()) as InflatedParts;
    expect(inflated.length).toBe(zlib.gunzipSync(gzipped).length);
    const pool = new AnalyzePool({ size: 1 });
    try {
      const joined = await pool.analyze(inflated, { maxBytes: 256 * MB });
      expect(inflated.parts.every((part) => part.byteLength === 0)).toBe(true); // transferred, not copied
      const here = analyze(gzipped, { maxBytes: 256 * MB });
      expect(Array.from(joined.model.flat)).toEqual(Array.from(here.model.flat));
      expect(Array.from(joined.model.cum)).toEqual(Array.from(here.model.cum));
      expect(joined.model.names).toEqual(here.model.names);
      expect(Array.from(joined.data.values)).toEqual(Array.from(here.data.values));
    } finally {
      await pool.close();
    }
  }, 60_000);

  test('POSTed: the viewer\'s top is go tool pprof -top\'s on the stored bytes', async () => {
    const decodes = jest.spyOn(AnalyzePool.prototype, 'analyze');
    const answer = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'Heap', [KEYS.expirationSeconds]: '60' } });
    expect(answer.status).toBe(200);
    // The worker was handed the gunzipped parts (transferred: none is left here), not the gzipped bytes.
    expect(decodes).toHaveBeenCalledTimes(1);
    const handed = decodes.mock.calls[0][0] as InflatedParts;
    expect(handed).not.toBeInstanceOf(Uint8Array);
    expect(handed.length).toBe(zlib.gunzipSync(gzipped).length);
    expect(handed.parts.every((part) => part.byteLength === 0)).toBe(true);
    decodes.mockRestore();
    const body = answer.json();
    const stored = body[`${RESULT}profile_path`] as string;
    expect(fs.readFileSync(stored).equals(gzipped)).toBe(true);
    const reference = await goPprofTop(stored, {});
    const top = (await request(`${body[`${RESULT}viewer_url`]}/api/top`)).json();
    expect(top.total).toBe(reference.total);
    expect(top.rows.map((r: { name: string; flat: number; cum: number }) => ({ name: r.name, flat: r.flat, cum: r.cum }))).toEqual(reference.rows);
  }, 120_000);
});
