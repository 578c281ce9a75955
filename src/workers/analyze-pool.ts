import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { abortable } from '../abortable';
import { ProfileError } from '../errors';
import { DecodeOptions } from '../profile/decode';
import { InflatedParts, partBuffers } from '../profile/inflate-stream';
import { IncompatibleProfilesError } from '../profile/merge/combine-headers';
import type { MergeInput } from '../profile/merge/merge-profiles';
import { ProfileData } from '../profile/profile-data';
import { Analysis } from '../report/analyze';
import { ReportJob, ReportResult, ReportRunner } from '../report/jobs';
import { distPath } from '../dist-paths';

export type WorkerMessage =
  | { id: number; kind: 'analyze'; bytes: Uint8Array | InflatedParts; options: DecodeOptions }
  | { id: number; kind: 'report'; data: ProfileData; job: ReportJob }
  | { id: number; kind: 'merge'; inputs: Array<{ name: string; bytes: ArrayBuffer; labels: Record<string, string> }>; options: DecodeOptions; diff?: { normalize: boolean } }
  | { id: number; kind: 'gc' };

export type WorkerReply =
  /** Sent once, when the worker has loaded its modules (and warmed up: the samples that read) and takes jobs. */
  | { ready: true; warmUpSamples: number }
  | { id: number; result: unknown }
  | { id: number; error: { name: string; message: string } }
  | { id: number; collected: true };

interface Pending {
  message: WorkerMessage;
  transfer: ArrayBuffer[];
  /** Names the stage in error messages: "decoding profile", "refining profile". */
  stage: string;
  timeoutMs?: number;
  timer?: NodeJS.Timeout;
  timedOut?: boolean;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** What a worker is told when it starts. */
export interface AnalyzeWorkerData {
  warmUp: boolean;
}

export interface AnalyzePoolOptions {
  size: number;
  /** Heap ceiling per worker: a hostile profile kills its worker, not the service. */
  maxHeapMb?: number;
  /** A report job running longer (a regex that backtracks without end) has its worker stopped. Default 60 s. */
  reportTimeoutMs?: number;
  /**
   * Each worker decodes profiles of its own when it starts (warm-up.ts, about 150 ms of CPU), so that the first
   * real one runs compiled code: for a long-running service, not for a command that decodes one profile and exits.
   */
  warmUp?: boolean;
}

const DEFAULT_REPORT_TIMEOUT_MS = 60_000;

/**
 * Decoding a large profile, and refining its views, take seconds of CPU; doing them in worker threads keeps the
 * service and its viewers answering meanwhile.
 */
export class AnalyzePool implements ReportRunner {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private readonly collecting = new Map<Worker, () => void>();
  /** Workers still loading their modules, with what waits for them to take jobs. */
  private readonly starting = new Map<Worker, Array<() => void>>();
  private nextId = 1;
  private closed = false;
  /** The samples the workers started so far decoded to warm up (none without options.warmUp). */
  warmUpSamples = 0;

  constructor(private readonly options: AnalyzePoolOptions) {}

  /** One worker started ahead of the first job: the first profile does not wait for it to load its modules. */
  prestart(): void {
    if (!this.closed && this.idle.length + this.busy.size === 0) this.idle.push(this.spawn());
  }

  /** A decode whose caller hangs up leaves the queue; one already in a worker finishes, and its result is dropped. */
  /**
   * Bytes are copied into a buffer of our own, so that it can be transferred without detaching the caller's; a
   * profile gunzipped while it was fetched (inflate-stream.ts) is handed over in its parts, transferred: the caller
   * must not use them after.
   */
  analyze(bytes: Uint8Array | InflatedParts, options: DecodeOptions, signal?: AbortSignal): Promise<Analysis> {
    const own = bytes instanceof Uint8Array ? Uint8Array.from(bytes) : bytes;
    const transfer = own instanceof Uint8Array ? [own.buffer as ArrayBuffer] : partBuffers(own);
    const message: WorkerMessage = { id: this.nextId++, kind: 'analyze', bytes: own, options };
    return abortable(this.submit(message, transfer, 'decoding profile', undefined, signal), signal) as Promise<Analysis>;
  }

  /** Merges profiles as pprof does (each sample labelled with its input's labels), then decodes the merge. */
  mergeAndAnalyze(inputs: MergeInput[], options: DecodeOptions, signal?: AbortSignal): Promise<{ merged: Uint8Array; analysis: Analysis }> {
    const copies = inputs.map((input) => ({ name: input.name, labels: input.labels, bytes: Uint8Array.from(input.bytes).buffer }));
    const message: WorkerMessage = { id: this.nextId++, kind: 'merge', inputs: copies, options };
    const transfer = copies.map((c) => c.bytes);
    return abortable(this.submit(message, transfer, 'merging profiles', undefined, signal), signal) as Promise<{ merged: Uint8Array; analysis: Analysis }>;
  }

  /**
   * pprof's -diff_base: the base negated, labelled pprof::base and merged with the new profile (normalize: the new
   * one scaled to the base's total first), then decoded. Other sample types: an IncompatibleProfilesError.
   */
  diffAndAnalyze(fresh: MergeInput, base: MergeInput, options: DecodeOptions & { normalize: boolean }, signal?: AbortSignal): Promise<{ merged: Uint8Array; analysis: Analysis }> {
    const copies = [fresh, base].map((input) => ({ name: input.name, labels: input.labels, bytes: Uint8Array.from(input.bytes).buffer }));
    const message: WorkerMessage = { id: this.nextId++, kind: 'merge', inputs: copies, options: { maxBytes: options.maxBytes }, diff: { normalize: options.normalize } };
    const transfer = copies.map((c) => c.bytes);
    return abortable(this.submit(message, transfer, 'comparing profiles', undefined, signal), signal) as Promise<{ merged: Uint8Array; analysis: Analysis }>;
  }

  /** Runs a report job on the profile's shared arrays: nothing but its strings is copied to the worker. */
  report<J extends ReportJob>(data: ProfileData, job: J): Promise<ReportResult<J>> {
    const message: WorkerMessage = { id: this.nextId++, kind: 'report', data, job };
    const timeoutMs = this.options.reportTimeoutMs ?? DEFAULT_REPORT_TIMEOUT_MS;
    return this.submit(message, [], 'refining profile', timeoutMs) as Promise<ReportResult<J>>;
  }

  /**
   * Runs a full garbage collection in every idle worker, when the process has --expose-gc (the bench): decode
   * scratch (the gunzipped bytes, growable arrays) is otherwise held until the worker's next collection.
   */
  async collectGarbage(): Promise<void> {
    const workers = this.idle.filter((w) => !this.collecting.has(w));
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            this.collecting.set(worker, resolve);
            worker.postMessage({ id: 0, kind: 'gc' } satisfies WorkerMessage);
          }),
      ),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new ProfileError(`${pending.stage}: the service is shutting down`));
    const workers = [...this.idle.splice(0), ...this.busy.keys()];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private submit(message: WorkerMessage, transfer: ArrayBuffer[], stage: string, timeoutMs?: number, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new ProfileError(`${stage}: the service is shutting down`));
    return new Promise((resolve, reject) => {
      const pending: Pending = { message, transfer, stage, timeoutMs, resolve, reject };
      this.queue.push(pending);
      signal?.addEventListener('abort', () => {
        const queued = this.queue.indexOf(pending);
        if (queued >= 0) this.queue.splice(queued, 1);
      }, { once: true });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.busy.size < this.options.size ? this.spawn() : undefined);
      if (!worker) return;
      const pending = this.queue.shift() as Pending;
      this.busy.set(worker, pending);
      // A job's time limit runs from when its worker can start on it: a fresh worker loads its modules first,
      // which takes longer than a small job on a loaded machine.
      if (pending.timeoutMs) this.whenReady(worker, () => this.armTimer(worker, pending));
      worker.postMessage(pending.message, pending.transfer);
    }
  }

  private armTimer(worker: Worker, pending: Pending): void {
    if (this.busy.get(worker) !== pending) return;
    pending.timer = setTimeout(() => {
      pending.timedOut = true;
      void worker.terminate();
    }, pending.timeoutMs);
    pending.timer.unref();
  }

  private whenReady(worker: Worker, then: () => void): void {
    const waiting = this.starting.get(worker);
    if (waiting) waiting.push(then);
    else then();
  }

  private spawn(): Worker {
    const worker = new Worker(workerScript(), {
      resourceLimits: this.options.maxHeapMb ? { maxOldGenerationSizeMb: this.options.maxHeapMb } : undefined,
      workerData: { warmUp: this.options.warmUp === true } satisfies AnalyzeWorkerData,
    });
    worker.unref();
    this.starting.set(worker, []);
    worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) {
        this.warmUpSamples += reply.warmUpSamples;
        const waiting = this.starting.get(worker) ?? [];
        this.starting.delete(worker);
        for (const then of waiting) then();
        return;
      }
      if ('collected' in reply) {
        this.collecting.get(worker)?.();
        this.collecting.delete(worker);
        return;
      }
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      if (pending) {
        clearTimeout(pending.timer);
        if ('result' in reply) pending.resolve(reply.result);
        else pending.reject(reply.error.name === IncompatibleProfilesError.name ? new IncompatibleProfilesError(reply.error.message) : new ProfileError(reply.error.message));
      }
      this.dispatch();
    });
    worker.on('error', (error) => this.lose(worker, `failed (${error.message})`));
    worker.on('exit', (code) => this.lose(worker, `the worker stopped (exit ${code})`));
    return worker;
  }

  /** A worker died (out of memory, crash, time limit): fail its job and let dispatch start a fresh one. */
  private lose(worker: Worker, reason: string): void {
    this.starting.delete(worker);
    this.collecting.get(worker)?.();
    this.collecting.delete(worker);
    const pending = this.busy.get(worker);
    this.busy.delete(worker);
    const idleAt = this.idle.indexOf(worker);
    if (idleAt >= 0) this.idle.splice(idleAt, 1);
    if (pending) {
      clearTimeout(pending.timer);
      const why = pending.timedOut ? `took longer than ${Math.round((pending.timeoutMs ?? 0) / 1000)} s and was stopped` : reason;
      pending.reject(new ProfileError(`${pending.stage}: ${why}`));
    }
    if (!this.closed) this.dispatch();
  }
}

/** The compiled worker; under ts-jest the sources are .ts, so use the build output beside them. */
function workerScript(): string {
  const script = distPath('workers', 'analyze-worker.js');
  if (fs.existsSync(script)) return script;
  throw new Error(`analyze worker not found at ${script}: run npm run build`);
}
