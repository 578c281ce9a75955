import { CapacityError } from '../errors';

/**
 * At most `concurrent` fetches at once; more wait in a queue of at most `queued`, beyond which a request is
 * refused at once (503) rather than piling up.
 */
export class FetchGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly concurrent: number, private readonly queued: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrent) {
      if (this.waiting.length >= this.queued) {
        throw new CapacityError(`all ${this.concurrent} fetch slots and ${this.queued} queue places are taken (MAX_CONCURRENT_FETCHES, MAX_QUEUED_FETCHES)`, 5);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
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

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const mine = previous.catch(() => undefined).then(work);
    this.tails.set(key, mine);
    try {
      return await mine;
    } finally {
      if (this.tails.get(key) === mine) this.tails.delete(key);
    }
  }
}
