/**
 * Serving a CRI log file as the kubelet's ReadLogs does for pods/log: the last
 * tailLines records, those since sinceTime/sinceSeconds, each line optionally
 * prefixed with its RFC3339Nano time, cut at limitBytes; with follow, new lines
 * as they are written (into the next file after a rotation) until the
 * container exits.
 */
import { once } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { formatRfc3339Nano, nowNanos, parseRecord, parseRfc3339, type CriLogWriter, type Stream } from './cri-log';

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Nanoseconds since the epoch; records before it are skipped. */
  since?: bigint;
  stream?: Stream;
}

const CHUNK = 64 * 1024;
const FOLLOW_POLL_MS = 1000;

/** The query the API server forwards for pods/log; an Error for values it would reject. */
export function parseLogOptions(query: URLSearchParams): LogOptions {
  const flag = (name: string) => query.get(name) === 'true' || query.get(name) === '1';
  const count = (name: string, min: number) => {
    const text = query.get(name);
    if (text === null) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name}: must be an integer of at least ${min}`);
    return value;
  };
  const sinceSeconds = count('sinceSeconds', 1);
  const sinceTime = query.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) throw new Error('at most one of sinceTime or sinceSeconds may be specified');
  const stream = query.get('stream');
  return {
    follow: flag('follow'),
    previous: flag('previous'),
    timestamps: flag('timestamps'),
    tailLines: count('tailLines', 0),
    limitBytes: count('limitBytes', 1),
    since: sinceTime ? parseRfc3339(sinceTime) : sinceSeconds ? nowNanos() - BigInt(sinceSeconds) * 1_000_000_000n : undefined,
    stream: stream === 'Stdout' ? 'stdout' : stream === 'Stderr' ? 'stderr' : undefined,
  };
}

/** Writes the log at `file` to out; `live` is the writer while the container runs (only then does follow wait). */
export async function streamLog(file: string, live: CriLogWriter | undefined, options: LogOptions, out: Writable, signal: AbortSignal): Promise<void> {
  // index: which file of the writer's this is, the one after `index` rotations.
  let { handle, index } = await openCurrent(file, live);
  const output = new LogOutput(options, out, signal);
  try {
    let offset = options.tailLines === undefined ? 0 : await tailOffset(handle, options.tailLines);
    let pending = Buffer.alloc(0);
    let lastPass = false;
    let drained = false;
    while (!signal.aborted && !output.full) {
      const buffer = Buffer.alloc(CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        pending = Buffer.concat([pending, buffer.subarray(0, bytesRead)]);
        let newline: number;
        while ((newline = pending.indexOf(10)) >= 0 && !output.full) {
          await output.record(pending.subarray(0, newline).toString('utf8'));
          pending = pending.subarray(newline + 1);
        }
        continue;
      }
      // At the end of the file: done, unless following a container that still writes.
      if (!options.follow || !live) break;
      if (live.rotations > index) {
        // The writer moved on to a new file. What it wrote here before that is read first (it writes
        // synchronously: once the rotation shows, this file is complete), then the next file, wherever it is now.
        if (!drained) {
          drained = true;
          continue;
        }
        drained = false;
        await handle.close();
        ({ handle, index } = await openNext(live, index));
        offset = 0;
        continue;
      }
      if (live.closed) {
        if (lastPass) break;
        lastPass = true;
        continue;
      }
      await once(live, 'write', { signal: AbortSignal.any([signal, AbortSignal.timeout(FOLLOW_POLL_MS)]) }).catch(() => undefined);
    }
  } finally {
    await handle.close();
  }
}

/** The file at path now, and which of the writer's it is (opened again if it rotated meanwhile). */
async function openCurrent(file: string, live: CriLogWriter | undefined): Promise<{ handle: FileHandle; index: number }> {
  for (;;) {
    const index = live?.rotations ?? 0;
    const handle = await open(file, 'r');
    if ((live?.rotations ?? 0) === index) return { handle, index };
    await handle.close();
  }
}

/** The file after the index-th; one the writer already removed (a follower far behind) is skipped, as with the kubelet. */
async function openNext(live: CriLogWriter, index: number): Promise<{ handle: FileHandle; index: number }> {
  for (let next = index + 1; ; next++) {
    try {
      return { handle: await open(next < live.rotations ? live.rotated[next] : live.file, 'r'), index: next };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || next >= live.rotations) throw error;
    }
  }
}

/** Where the last n records of the file begin (the kubelet counts records, a split line's pieces each count). */
async function tailOffset(handle: FileHandle, lines: number): Promise<number> {
  const content = await handle.readFile();
  let at = content.length;
  if (content[at - 1] === 10) at--;
  for (let seen = 0; at > 0; at--) {
    if (content[at - 1] === 10 && ++seen === lines) break;
  }
  return lines === 0 ? content.length : at;
}

class LogOutput {
  full = false;
  private written = 0;
  private atLineStart = true;

  constructor(private readonly options: LogOptions, private readonly out: Writable, private readonly signal: AbortSignal) {}

  async record(line: string): Promise<void> {
    const record = parseRecord(line);
    if (!record) return;
    if (this.options.since !== undefined && record.time < this.options.since) return;
    if (this.options.stream && record.stream !== this.options.stream) return;
    const prefix = this.options.timestamps && this.atLineStart ? `${formatRfc3339Nano(record.time)} ` : '';
    this.atLineStart = !record.partial;
    await this.write(Buffer.from(`${prefix}${record.content}${record.partial ? '' : '\n'}`));
  }

  private async write(bytes: Buffer): Promise<void> {
    const limit = this.options.limitBytes;
    let chunk = bytes;
    if (limit !== undefined && this.written + chunk.length >= limit) {
      chunk = chunk.subarray(0, limit - this.written);
      this.full = true;
    }
    this.written += chunk.length;
    if (chunk.length > 0 && !this.out.write(chunk)) await once(this.out, 'drain', { signal: this.signal });
  }
}
