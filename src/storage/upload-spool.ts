import { Logger } from '../log';
import { Bucket, StorageUnavailableError, UploadOptions } from './bucket/bucket';

export interface SpoolOptions {
  /** Where objects wait (a LocalBucket under DATA_ROOT/spool): they survive a restart and are retried after it. */
  local: Bucket;
  log: Logger;
  /** Rounds of retries before the spool stops trying until the next start (bounded: a store gone for good). */
  maxAttempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** What waits beside each spooled object: how to upload it. */
interface Pending {
  options: UploadOptions;
  queuedAt: string;
}

const PENDING_SUFFIX = '.spool.json';

/**
 * Uploads to the store, or, when the store is down, slow or refusing, keeps the object on the local disk and
 * uploads it later: a profile is never failed by its store. Retries back off from firstDelayMs to maxDelayMs, in
 * the order the objects came, for at most maxAttempts rounds; then the objects stay here (still served by this
 * process) until the next start tries again.
 */
export class UploadSpool {
  private readonly order: string[] = [];
  private timer?: NodeJS.Timeout;
  private attempts = 0;
  private draining?: Promise<void>;
  private closed = false;
  /** Until then, uploads go straight to the spool: the store just failed, a second wait would only add to it. */
  private downUntil = 0;
  /** Uploads that failed (each failed attempt of each object counts once). */
  failures = 0;
  uploaded = 0;
  private lastError?: string;

  constructor(private readonly remote: Bucket, private readonly options: SpoolOptions) {}

  get pending(): number {
    return this.order.length;
  }

  /** Uploads now; when the store cannot take it, keeps it and answers why (the answer's storage_warning). */
  async upload(key: string, bytes: Uint8Array, options: UploadOptions = {}): Promise<string | undefined> {
    // Behind something already waiting: uploading past it would leave a record whose profile is not there yet.
    if (this.order.length === 0 && Date.now() >= this.downUntil) {
      try {
        await this.remote.upload(key, bytes, options);
        this.uploaded++;
        return undefined;
      } catch (error) {
        if (!(error instanceof StorageUnavailableError)) throw error;
        this.noteUnavailable(error, key);
        await this.keep(key, bytes, options);
        return `${error.message}; kept on this replica and uploaded when the store is back`;
      }
    }
    await this.keep(key, bytes, options);
    return `${this.lastError ?? `earlier uploads to ${this.remote.description} are still waiting`}; kept on this replica and uploaded when the store is back`;
  }

  /** Another call to the store failed (a lookup before the upload): the next uploads are kept at once for a while. */
  noteUnavailable(error: StorageUnavailableError, key?: string): void {
    this.failures++;
    this.lastError = error.message;
    this.downUntil = Date.now() + this.options.firstDelayMs;
    this.options.log.warn({ key, store: this.remote.description, error: error.message }, 'storage unavailable: object kept locally, to be uploaded later');
  }

  /** A spooled object's bytes, while it waits. */
  async get(key: string): Promise<Buffer | undefined> {
    return this.order.includes(key) ? this.options.local.get(key) : undefined;
  }

  has(key: string): boolean {
    return this.order.includes(key);
  }

  /** The keys waiting under prefix (the history shows records that wait too). */
  waiting(prefix: string): string[] {
    return this.order.filter((key) => key.startsWith(prefix));
  }

  /** At start: what an earlier process left waiting, in the order it came, retried at once. */
  async resume(): Promise<void> {
    const found: Array<{ key: string; queuedAt: string }> = [];
    for await (const info of this.options.local.iter('')) {
      if (!info.key.endsWith(PENDING_SUFFIX)) continue;
      const pending = await this.readPending(info.key);
      const key = info.key.slice(0, -PENDING_SUFFIX.length);
      if (pending && (await this.options.local.exists(key))) found.push({ key, queuedAt: pending.queuedAt });
    }
    found.sort((a, b) => a.queuedAt.localeCompare(b.queuedAt));
    for (const { key } of found) if (!this.order.includes(key)) this.order.push(key);
    if (this.order.length > 0) {
      this.options.log.info({ pending: this.order.length, store: this.remote.description }, 'uploads left by an earlier start: retrying');
      this.schedule(0);
    }
  }

  /** Tries every waiting object now (tests, and the shutdown's last chance). */
  async drain(): Promise<void> {
    this.draining ??= this.drainOnce().finally(() => (this.draining = undefined));
    return this.draining;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async keep(key: string, bytes: Uint8Array, options: UploadOptions): Promise<void> {
    await this.options.local.upload(key, bytes);
    const pending: Pending = { options, queuedAt: new Date().toISOString() };
    await this.options.local.upload(key + PENDING_SUFFIX, Buffer.from(JSON.stringify(pending)));
    if (!this.order.includes(key)) this.order.push(key);
    if (!this.timer) {
      this.attempts = 0;
      this.schedule(this.options.firstDelayMs);
    }
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, delayMs);
    this.timer.unref();
  }

  private async drainOnce(): Promise<void> {
    while (this.order.length > 0) {
      const key = this.order[0];
      const pending = await this.readPending(key + PENDING_SUFFIX);
      const bytes = await this.options.local.get(key);
      if (!pending || !bytes) {
        this.order.shift(); // removed by hand, or by the retention sweep
        continue;
      }
      try {
        await this.remote.upload(key, bytes, pending.options);
      } catch (error) {
        if (!(error instanceof StorageUnavailableError)) throw error;
        this.failures++;
        this.attempts++;
        if (this.attempts >= this.options.maxAttempts) {
          this.options.log.error({ pending: this.order.length, attempts: this.attempts, store: this.remote.description, error: error.message }, 'storage still unavailable: giving up on uploads until the next start (the objects stay in the spool)');
          return;
        }
        const delay = Math.min(this.options.maxDelayMs, this.options.firstDelayMs * 2 ** this.attempts);
        this.options.log.warn({ pending: this.order.length, attempt: this.attempts, retryInMs: delay, error: error.message }, 'storage still unavailable: will retry');
        this.schedule(delay);
        return;
      }
      this.uploaded++;
      this.lastError = undefined;
      this.order.shift();
      await this.options.local.delete(key);
      await this.options.local.delete(key + PENDING_SUFFIX);
      if (this.order.length === 0) this.options.log.info({ store: this.remote.description }, 'storage is back: every kept object uploaded');
    }
    this.attempts = 0;
  }

  private async readPending(key: string): Promise<Pending | undefined> {
    const bytes = await this.options.local.get(key);
    if (!bytes) return undefined;
    try {
      return JSON.parse(bytes.toString('utf8')) as Pending;
    } catch {
      return undefined;
    }
  }
}
