/**
 * Container logs as a CRI runtime writes them, one record per line:
 *
 *   2016-10-06T00:17:09.669794202Z stdout F log content
 *
 * with the time in RFC3339Nano, the stream, and F for a full line or P for a
 * piece of one longer than 16 KiB (as containerd splits them). The file rotates
 * at containerLogMaxSize, as the kubelet rotates it; the kubelet serves only the
 * current file, so rotated ones are kept only as the kubelet would (a few).
 */
import { EventEmitter } from 'node:events';
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

export type Stream = 'stdout' | 'stderr';

export interface CriRecord {
  /** Nanoseconds since the epoch. */
  time: bigint;
  stream: Stream;
  partial: boolean;
  content: string;
}

/** kubelet's containerLogMaxSize and containerLogMaxFiles defaults. */
export const CONTAINER_LOG_MAX_SIZE = 10 * 1024 * 1024;
const CONTAINER_LOG_MAX_FILES = 5;
const MAX_LINE_BYTES = 16 * 1024;

// Date has milliseconds only; a monotonic clock anchored to it gives ordered nanoseconds.
const EPOCH_OFFSET = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNanos(): bigint {
  return EPOCH_OFFSET + process.hrtime.bigint();
}

/** Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped. */
export function formatRfc3339Nano(ns: bigint): string {
  const seconds = new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${seconds}${fraction ? `.${fraction}` : ''}Z`;
}

/** RFC3339 with any fraction and offset, to nanoseconds since the epoch. */
export function parseRfc3339(text: string): bigint {
  const match = /^(.+?T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  const millis = match ? Date.parse(`${match[1]}${match[3]}`) : NaN;
  if (!match || Number.isNaN(millis)) throw new Error(`parsing time ${JSON.stringify(text)} as RFC3339`);
  return BigInt(millis) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

export function parseRecord(line: string): CriRecord | undefined {
  const match = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
  if (!match) return undefined;
  return { time: parseRfc3339(match[1]), stream: match[2] as Stream, partial: match[3] === 'P', content: match[4] };
}

/** Appends one container instance's output to its log file; emits 'write' after each record and 'close'. */
export class CriLogWriter extends EventEmitter {
  closed = false;
  /** Where each rotation moved the file to, in order: a follower reads on from one file into the next. */
  readonly rotated: string[] = [];
  private fd: number;
  private size = 0;

  get rotations(): number {
    return this.rotated.length;
  }

  constructor(readonly file: string, private readonly maxSize = CONTAINER_LOG_MAX_SIZE) {
    super();
    this.fd = openSync(file, 'a');
  }

  /** One line of output, without its newline. */
  line(stream: Stream, text: string): void {
    const bytes = Buffer.from(text);
    for (let at = 0; at === 0 || at < bytes.length; at += MAX_LINE_BYTES) {
      const piece = bytes.subarray(at, at + MAX_LINE_BYTES);
      const tag = at + MAX_LINE_BYTES < bytes.length ? 'P' : 'F';
      this.append(Buffer.concat([Buffer.from(`${formatRfc3339Nano(nowNanos())} ${stream} ${tag} `), piece, Buffer.from('\n')]));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    this.emit('close');
  }

  private append(record: Buffer): void {
    if (this.closed) return;
    writeSync(this.fd, record);
    this.size += record.length;
    if (this.size > this.maxSize) this.rotate();
    this.emit('write');
  }

  private rotate(): void {
    closeSync(this.fd);
    // Named by the time it ended (and a count, as two may end in one millisecond), as the kubelet names them.
    const to = `${this.file}.${new Date().toISOString().replace(/[-:.]/g, '')}-${this.rotated.length}`;
    renameSync(this.file, to);
    this.rotated.push(to);
    // The kubelet keeps containerLogMaxFiles in all, the current one included.
    for (const old of this.rotated.slice(0, -(CONTAINER_LOG_MAX_FILES - 1))) rmSync(old, { force: true });
    this.fd = openSync(this.file, 'a');
    this.size = 0;
  }
}
