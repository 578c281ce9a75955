import { abortable } from '../abortable';
import { CapacityError } from '../errors';

/**
 * At most `concurrent` fetches at once; more wait in a queue of at most `queued`, beyond which a request is
 * refused at once (503) rather than piling up. A group that must start together (the CPU profiles of many
 * targets, which should cover the same window) takes its slots at once, in its turn.
 */
export class FetchGate {
  private running = 0;
  private readonly waiting: Array<{ slots: number; admit: () => void }> = [];

  constructor(private readonly concurrent: number, private readonly queued: number) {}

  /** A caller that hangs up while queued leaves the queue; one that holds a slot gives it back when work ends. */
  run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.runWith(1, work, signal);
  }

  /**
   * Runs every work at once, when `works.length` slots are free together, and holds them until all have settled.
   * More works than slots could never start together: a CapacityError says so.
   */
  runTogether<T>(works: Array<() => Promise<T>>, signal?: AbortSignal): Promise<Array<PromiseSettledResult<T>>> {
    if (works.length > this.concurrent) {
      throw new CapacityError(`${works.length} fetches must start together, but MAX_CONCURRENT_FETCHES is ${this.concurrent}`, 5);
    }
    return this.runWith(works.length, () => Promise.allSettled(works.map((work) => work())), signal);
  }

  private async runWith<T>(slots: number, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.running + slots > this.concurrent || this.waiting.length > 0) {
      if (this.waiting.length >= this.queued) {
        throw new CapacityError(`all ${this.concurrent} fetch slots and ${this.queued} queue places are taken (MAX_CONCURRENT_FETCHES, MAX_QUEUED_FETCHES)`, 5);
      }
      await new Promise<void>((resolve, reject) => {
        const entry = { slots, admit: () => {} };
        const onAbort = () => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(signal?.reason);
          this.admitWaiting();
        };
        entry.admit = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.waiting.push(entry);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.running += slots;
    }
    try {
      return await work();
    } finally {
      this.running -= slots;
      this.admitWaiting();
    }
  }

  /** First come, first served: the head of the queue starts once its slots are free, and no one overtakes it. */
  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.running + this.waiting[0].slots <= this.concurrent) {
      const next = this.waiting.shift() as { slots: number; admit: () => void };
      this.running += next.slots;
      next.admit();
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
