import { abortable } from '../abortable';
import { CapacityError } from '../errors';

/**
 * At most `concurrent` fetches at once; more wait in a queue of at most `queued`, beyond which a request is
 * refused at once (503) rather than piling up.
 */
export class FetchGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly concurrent: number, private readonly queued: number) {}

  /** A caller that hangs up while queued leaves the queue; one that holds a slot gives it back when work ends. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.running >= this.concurrent) {
      if (this.waiting.length >= this.queued) {
        throw new CapacityError(`all ${this.concurrent} fetch slots and ${this.queued} queue places are taken (MAX_CONCURRENT_FETCHES, MAX_QUEUED_FETCHES)`, 5);
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.waiting.splice(this.waiting.indexOf(admit), 1);
          reject(signal?.reason);
        };
        const admit = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiting.push(admit);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter, or give it back.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * The Go runtime serves one CPU profile per process at a time and fails a second with an error; requests for the
 * same source are therefore run one after another.
 */
export class SourceLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** A caller that hangs up while waiting its turn stops waiting, and its turn passes without work. */
  async run<T>(key: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const mine = previous.catch(() => undefined).then(() => {
      signal?.throwIfAborted();
      return work();
    });
    this.tails.set(key, mine);
    // The tail goes once this work has settled, whether or not its caller still waits for it.
    void mine.catch(() => undefined).then(() => {
      if (this.tails.get(key) === mine) this.tails.delete(key);
    });
    return abortable(mine, signal);
  }
}
