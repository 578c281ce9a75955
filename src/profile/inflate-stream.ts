import zlib from 'node:zlib';
import { decompressError, expandsPastLimit, isGzip } from './decompress';
import { releaseBuffer } from './release-bytes';

/** Output chunks of this size: few callbacks. */
const OUTPUT_CHUNK = 1024 * 1024;
/** Input written to zlib a megabyte at a time: per 64 KB chunk of the socket, it fell behind (measured). */
const BATCH = 1024 * 1024;

/** A profile gunzipped in parts, as zlib wrote them (views that may share buffers), and its length. */
export interface InflatedParts {
  parts: Uint8Array[];
  length: number;
}

/**
 * Gunzips a profile while its body is still arriving, on libuv's thread pool: the fetch and the decompression
 * overlap (on the deep heap profile, about 0.2 s of a local fetch hidden behind 0.4 s of gunzip). zlib's output
 * chunks are kept as they are, so that this thread (the service's main one) writes none of the profile's memory:
 * copying them into one buffer here put 20-40 ms pauses into its event loop, most of it the first touch of new
 * pages. The decode worker joins them (joinParts). The limit is decompress()'s: past maxBytes the inflation stops
 * and end() rejects with the same error.
 *
 * Bytes that are not gzipped are not gathered here: end() answers undefined, and the caller decodes the bytes it
 * fetched as they are.
 */
export class InflateStream {
  private gunzip?: zlib.Gunzip;
  /**
   * Input gathered into batches of BATCH bytes (zlib's pace is a round trip through the event loop per write), the
   * chunks only listed until then: a small body is never copied here.
   */
  private batch: Uint8Array[] = [];
  private batched = 0;
  private parts: Uint8Array[] = [];
  private size = 0;
  private failure?: Error;
  /** Settles when zlib has ended, failed or been stopped. */
  private done: Promise<void> = Promise.resolve();
  private pushed = 0;

  constructor(private readonly maxBytes: number) {}

  /** How many bytes have been pushed: the caller checks it against what it fetched. */
  get received(): number {
    return this.pushed;
  }

  push(chunk: Uint8Array): void {
    this.pushed += chunk.length;
    if (this.failure || chunk.length === 0) return;
    this.batch.push(chunk);
    this.batched += chunk.length;
    if (this.batched >= BATCH) this.flush();
  }

  /**
   * The inflated profile in parts; undefined when the bytes were not gzipped, or fit in one batch (nothing
   * overlapped: the worker's own gunzip is quicker than a trip through the thread pool).
   */
  async end(): Promise<InflatedParts | undefined> {
    if (!this.gunzip) {
      this.cancel();
      return undefined;
    }
    this.flush();
    this.gunzip.end();
    await this.done;
    if (this.failure) throw this.failure;
    const inflated = { parts: this.parts, length: this.size };
    this.parts = [];
    return inflated;
  }

  /** Stops the inflation (the fetch failed, or the caller hung up) and lets its memory go. */
  cancel(): void {
    this.failure ??= new Error('cancelled');
    this.batch = [];
    this.batched = 0;
    this.gunzip?.destroy();
    this.parts = [];
  }

  /** Hands the batch to zlib; the first one says whether the body is gzipped at all. */
  private flush(): void {
    const chunks = this.batch;
    const length = this.batched;
    this.batch = [];
    this.batched = 0;
    if (length === 0 || this.failure) return;
    const batch = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
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
    this.size += out.length;
    if (this.size > this.maxBytes) {
      this.failure = expandsPastLimit(this.maxBytes);
      this.parts = [];
      this.gunzip?.destroy();
      return;
    }
    this.parts.push(out);
  }
}

/**
 * The buffers the parts are views of, once each: what to transfer to the worker. Only zlib's own chunks (never a
 * small one, which could be a slice of Node's shared buffer pool: those are copied).
 */
export function partBuffers(inflated: InflatedParts): ArrayBuffer[] {
  return [...new Set(inflated.parts.map((part) => part.buffer as ArrayBuffer))].filter((buffer) => buffer.byteLength >= OUTPUT_CHUNK);
}

/** The parts in one buffer of the profile's own (so that the decoder may free it), each part's freed once copied. */
export function joinParts(inflated: InflatedParts): Uint8Array {
  const joined = new Uint8Array(inflated.length);
  let at = 0;
  const { parts } = inflated;
  for (let i = 0; i < parts.length; i++) {
    joined.set(parts[i], at);
    at += parts[i].length;
    // zlib writes several parts into one buffer: it goes once its last part is copied.
    const buffer = parts[i].buffer as ArrayBuffer;
    if ((i + 1 === parts.length || parts[i + 1].buffer !== buffer) && buffer.byteLength >= OUTPUT_CHUNK) releaseBuffer(buffer);
  }
  return joined;
}
