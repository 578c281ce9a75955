import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ProfileError } from '../errors';
import { DecodeOptions } from '../profile/decode';
import { Analysis } from '../report/analyze';

export interface AnalyzeJob {
  id: number;
  bytes: ArrayBuffer;
  options: DecodeOptions;
}

export type AnalyzeReply = { id: number; analysis: Analysis } | { id: number; error: { name: string; message: string } };

interface Pending {
  job: AnalyzeJob;
  resolve(analysis: Analysis): void;
  reject(error: Error): void;
}

export interface AnalyzePoolOptions {
  size: number;
  /** Heap ceiling per worker: a hostile profile kills its worker, not the service. */
  maxHeapMb?: number;
}

/**
 * Decoding and aggregating a large profile takes seconds of CPU; doing it in worker threads keeps the service and
 * its viewers answering meanwhile.
 */
export class AnalyzePool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: AnalyzePoolOptions) {}

  analyze(bytes: Uint8Array, options: DecodeOptions): Promise<Analysis> {
    if (this.closed) return Promise.reject(new ProfileError('decoding profile: the service is shutting down'));
    // Copy into a buffer of our own so it can be transferred without detaching the caller's.
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, bytes: copy.buffer, options }, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new ProfileError('decoding profile: the service is shutting down'));
    const workers = [...this.idle.splice(0), ...this.busy.keys()];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.busy.size < this.options.size ? this.spawn() : undefined);
      if (!worker) return;
      const pending = this.queue.shift() as Pending;
      this.busy.set(worker, pending);
      worker.postMessage(pending.job, [pending.job.bytes]);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(workerScript(), {
      resourceLimits: this.options.maxHeapMb ? { maxOldGenerationSizeMb: this.options.maxHeapMb } : undefined,
    });
    worker.unref();
    worker.on('message', (reply: AnalyzeReply) => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      if (pending) {
        if ('analysis' in reply) pending.resolve(reply.analysis);
        else pending.reject(new ProfileError(reply.error.message));
      }
      this.dispatch();
    });
    worker.on('error', (error) => this.lose(worker, `decoding profile: the decoder failed (${error.message})`));
    worker.on('exit', (code) => this.lose(worker, `decoding profile: the decoder stopped (exit ${code})`));
    return worker;
  }

  /** A worker died (out of memory, crash): fail its job and let dispatch start a fresh one. */
  private lose(worker: Worker, message: string): void {
    const pending = this.busy.get(worker);
    this.busy.delete(worker);
    const idleAt = this.idle.indexOf(worker);
    if (idleAt >= 0) this.idle.splice(idleAt, 1);
    pending?.reject(new ProfileError(message));
    if (!this.closed) this.dispatch();
  }
}

/** The compiled worker; under ts-jest the sources are .ts, so use the build output beside them. */
function workerScript(): string {
  const compiled = path.join(__dirname, 'analyze-worker.js');
  if (fs.existsSync(compiled)) return compiled;
  const fromBuild = path.resolve(__dirname, '../../dist/workers/analyze-worker.js');
  if (fs.existsSync(fromBuild)) return fromBuild;
  throw new Error(`analyze worker not found at ${compiled} or ${fromBuild}: run npm run build`);
}
