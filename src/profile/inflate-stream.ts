import zlib from 'node:zlib';
import { decompressError, expandsPastLimit, isGzip } from './decompress';

/** Output chunks of this size: few callbacks, and zlib's own buffer stays small. */
const OUTPUT_CHUNK = 1024 * 1024;
/** Input written to zlib a megabyte at a time: per 64 KB chunk of the socket, it fell behind (measured). */
const BATCH = 1024 * 1024;
/** The first reservation; then it doubles (a growable buffer's untouched pages cost no memory). */
const FIRST_SIZE = 4 * 1024 * 1024;

/**
 * Gunzips a profile while its body is still arriving, on libuv's thread pool, into one growable SharedArrayBuffer:
 * the fetch and the decompression overlap (on the deep heap profile, about 0.2 s of a local fetch hidden behind
 * 0.4 s of gunzip), and the decode worker reads the result shared, without a copy. The limit is decompress()'s:
 * past maxBytes the inflation stops and end() rejects with the same error.
 *
 * Bytes that are not gzipped are not gathered here: end() answers undefined, and the caller decodes the bytes it
 * fetched as they are.
 */
export class InflateStream {
  private gunzip?: zlib.Gunzip;
  /** Input gathered into batches of BATCH bytes: zlib's pace is a round trip through the event loop per write. */
  private batch?: Buffer;
  private batched = 0;
  private buffer?: SharedArrayBuffer;
  private view: Uint8Array = new Uint8Array(0);
  private size = 0;
  private failure?: Error;
  private done?: Promise<void>;
  private pushed = 0;

  constructor(private readonly maxBytes: number) {}

  /** How many bytes have been pushed: the caller checks it against what it fetched. */
  get received(): number {
    return this.pushed;
  }

  push(chunk: Uint8Array): void {
    this.pushed += chunk.length;
    for (let at = 0; at < chunk.length && !this.failure; ) {
      this.batch ??= Buffer.allocUnsafe(BATCH);
      const n = Math.min(chunk.length - at, BATCH - this.batched);
      this.batch.set(chunk.subarray(at, at + n), this.batched);
      this.batched += n;
      at += n;
      if (this.batched === BATCH) this.flush();
    }
  }

  /**
   * The inflated profile (a view of the shared buffer); undefined when the bytes were not gzipped, or fit in one
   * batch (nothing overlapped: the worker's own gunzip is quicker than a trip through the thread pool).
   */
  async end(): Promise<Uint8Array | undefined> {
    if (!this.gunzip) {
      this.cancel();
      return undefined;
    }
    this.flush();
    if (!this.done) return undefined;
    this.gunzip.end();
    await this.done;
    if (this.failure) throw this.failure;
    return new Uint8Array(this.buffer ?? new SharedArrayBuffer(0), 0, this.size);
  }

  /** Stops the inflation (the fetch failed, or the caller hung up) and lets its memory go. */
  cancel(): void {
    this.failure ??= new Error('cancelled');
    this.gunzip?.destroy();
    this.buffer = undefined;
    this.view = new Uint8Array(0);
  }

  /** Hands the batch to zlib; the first one says whether the body is gzipped at all. */
  private flush(): void {
    const batch = this.batch?.subarray(0, this.batched);
    this.batch = undefined;
    this.batched = 0;
    if (!batch || batch.length === 0 || this.failure) return;
    if (!this.gunzip && !isGzip(batch)) this.failure = new Error('not gzipped');
    else (this.gunzip ?? this.open()).write(batch);
  }

  private open(): zlib.Gunzip {
    const gunzip = zlib.createGunzip({ chunkSize: OUTPUT_CHUNK });
    this.gunzip = gunzip;
    this.done = new Promise<void>((resolve) => {
      gunzip.on('data', (out: Buffer) => this.append(out));
      gunzip.on('end', () => resolve());
      gunzip.on('close', () => resolve());
      gunzip.on('error', (error: NodeJS.ErrnoException) => {
        this.failure ??= decompressError(error, this.maxBytes);
        resolve();
      });
    });
    return gunzip;
  }

  private append(out: Buffer): void {
    if (this.failure) return;
    const needed = this.size + out.length;
    if (needed > this.maxBytes) {
      this.failure = expandsPastLimit(this.maxBytes);
      this.gunzip?.destroy();
      return;
    }
    if (!this.buffer || needed > this.buffer.byteLength) this.grow(needed);
    this.view.set(out, this.size);
    this.size = needed;
  }

  private grow(needed: number): void {
    const size = Math.min(this.maxBytes, Math.max(needed, FIRST_SIZE, (this.buffer?.byteLength ?? 0) * 2));
    if (!this.buffer) this.buffer = new GrowableSharedArrayBuffer(size, { maxByteLength: this.maxBytes });
    else (this.buffer as GrowableBuffer).grow(size);
    this.view = new Uint8Array(this.buffer);
  }
}

// ES2024's growable SharedArrayBuffer (Node 20+), not yet in TypeScript's ES2023 library.
type GrowableBuffer = SharedArrayBuffer & { grow(size: number): void };
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (size: number, options: { maxByteLength: number }) => GrowableBuffer;
