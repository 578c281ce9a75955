import crypto from 'node:crypto';
import { CapacityError, NotFoundError } from '../errors';
import { Logger } from '../log';
import { PendingCapture } from './pending-capture';
import { ViewerProfile } from './viewer-profile';
import { ViewerContent, ViewerServer } from './viewer-server';

export interface LiveViewer {
  id: string;
  port: number;
  expiresAt: Date;
  /** Undefined while its capture is pending (openPending). */
  readonly profile?: ViewerProfile;
}

/**
 * A viewer known to storage: undefined when it is unknown there or expired. A capture still running (on another
 * replica) comes back as a PendingCapture that the loader settles when the record does.
 */
export type ViewerLoader = (id: string) => Promise<{ profile: ViewerProfile | PendingCapture; expiresAt: Date } | undefined>;

export interface RegistryOptions {
  maxViewers: number;
  bindAddress: string;
  log: Logger;
  /** Finds a viewer this process does not hold (another replica's, or one before a restart, or one evicted). */
  loader?: ViewerLoader;
}

export interface OpenOptions {
  /** The id to open it under (from newViewerId(), e.g. to store the profile under it first); a new one by default. */
  id?: string;
  /**
   * The loader can bring the profile back (it is stored with the viewer's id and expiry), so an idle viewer may be
   * closed to make room and reopened on its next request.
   */
  reloadable?: boolean;
}

/** A promise of a viewer slot, taken before the fetch so a full service says 503 before doing any work. */
export interface Slot {
  release(): void;
}

/** A request to a viewer in flight: it is not evicted until release(). */
export interface ViewerHold {
  live: LiveViewer;
  release(): void;
}

/** Storage could not say whether the viewer exists: 503, the next request tries again. */
export class ViewerUnavailableError extends CapacityError {}

/** What /viewer/<id>/ accepts. */
export const VIEWER_ID = /^[0-9a-f]{32}$/;

/** Node's timers hold at most 2^31-1 ms (24.8 days); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Entry {
  live: LiveViewer;
  server: ViewerServer;
  timer: { clear(): void };
  reloadable: boolean;
  pending?: PendingCapture;
  inFlight: number;
}

/**
 * The live viewers, at most maxViewers: each has its own server and a timer that closes it at expiry. When full, the
 * least recently used idle viewer that storage can bring back is closed to make room (LRU: the map's order).
 */
export class ViewerRegistry {
  private readonly viewers = new Map<string, Entry>();
  private readonly loads = new Map<string, Promise<LiveViewer | undefined>>();
  private reserved = 0;
  private closed = false;

  constructor(private readonly options: RegistryOptions) {}

  get size(): number {
    return this.viewers.size;
  }

  reserve(): Slot {
    if (this.viewers.size + this.reserved >= this.options.maxViewers && !this.evictOne()) {
      throw new CapacityError(`all ${this.options.maxViewers} viewers are in use (MAX_VIEWERS); try again when one expires`);
    }
    this.reserved++;
    let released = false;
    return {
      release: () => {
        if (!released) this.reserved--;
        released = true;
      },
    };
  }

  /** Starts a viewer in the reserved slot; it is listening when this resolves. */
  open(slot: Slot, profile: ViewerProfile, expirationSeconds: number, options: OpenOptions = {}): Promise<LiveViewer> {
    return this.start(slot, profile, options.id ?? newViewerId(), expiry(expirationSeconds), options);
  }

  /** Starts a viewer known before (from storage) with its own id and expiry; an expired one is refused (404). */
  reopen(slot: Slot, profile: ViewerProfile, known: { id: string; expiresAt: Date }, options: OpenOptions = {}): Promise<LiveViewer> {
    if (known.expiresAt.getTime() <= Date.now()) {
      slot.release();
      return Promise.reject(new NotFoundError('this viewer has expired'));
    }
    const live = this.viewers.get(known.id);
    if (live) {
      slot.release();
      return Promise.resolve(live.live);
    }
    return this.start(slot, profile, known.id, known.expiresAt, { ...options, id: known.id });
  }

  /**
   * Starts a viewer at once on a capture still running: it serves the page and api/status now, the profile when
   * the capture is ready. It is never evicted while the capture runs; once ready, as options.reloadable says.
   */
  openPending(slot: Slot, pending: PendingCapture, expirationSeconds: number, options: OpenOptions = {}): Promise<LiveViewer> {
    return this.start(slot, pending, options.id ?? newViewerId(), expiry(expirationSeconds), options);
  }

  /** Storage now holds the viewer's profile (an upload that finished after the open): it may be evicted when idle. */
  markReloadable(id: string): void {
    const entry = this.viewers.get(id);
    if (entry) entry.reloadable = true;
  }

  get(id: string): LiveViewer | undefined {
    return this.viewers.get(id)?.live;
  }

  /**
   * The live viewer, else (with a loader) the stored one reopened with its id and expiry: concurrent lookups of one
   * id share one load. Undefined when it is unknown or expired; ViewerUnavailableError when storage fails,
   * CapacityError when no viewer can make room.
   */
  lookup(id: string): Promise<LiveViewer | undefined> {
    const entry = this.viewers.get(id);
    if (entry) {
      this.touch(id);
      return Promise.resolve(entry.live);
    }
    if (!this.options.loader || this.closed) return Promise.resolve(undefined);
    let load = this.loads.get(id);
    if (!load) {
      load = this.load(id).finally(() => this.loads.delete(id));
      this.loads.set(id, load);
    }
    return load;
  }

  /** Holds the viewer (looked up, or loaded) for one request: it is not evicted until release(). */
  async acquire(id: string): Promise<ViewerHold | undefined> {
    // A viewer loaded for us may be evicted again before we hold it, when others need room at the same moment.
    for (let attempt = 0; attempt < 3; attempt++) {
      const entry = this.viewers.get(id);
      if (entry) return { live: entry.live, release: this.begin(id, entry) };
      if (!(await this.lookup(id))) return undefined;
    }
    throw new CapacityError(`all ${this.options.maxViewers} viewers are busy (MAX_VIEWERS); try again shortly`, 5);
  }

  /** Marks the viewer as just used: the last to be evicted. */
  touch(id: string): void {
    const entry = this.viewers.get(id);
    if (!entry) return;
    this.viewers.delete(id);
    this.viewers.set(id, entry);
  }

  /** Closes a viewer: stops listening, drops its connections, forgets the profile so its memory can go. */
  expire(id: string): Promise<void> {
    return this.close(id, 'viewer closed');
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.viewers.keys()].map((id) => this.expire(id)));
  }

  private async start(slot: Slot, content: ViewerContent, id: string, expiresAt: Date, options: OpenOptions): Promise<LiveViewer> {
    try {
      if (!VIEWER_ID.test(id)) throw new Error(`a viewer id is 32 lower-case hex digits, not ${JSON.stringify(id)}`);
      if (this.viewers.has(id)) throw new Error(`viewer ${id} is open already`);
      const server = new ViewerServer(content, expiresAt, { onRequest: () => this.begin(id) });
      const port = await server.listen(this.options.bindAddress);
      const raced = this.viewers.get(id); // reopened by another caller meanwhile
      if (raced) {
        await server.close();
        return raced.live;
      }
      const pending = content instanceof PendingCapture ? content : undefined;
      const live: LiveViewer = pending
        ? { id, port, expiresAt, get profile() { return pending.profile; } }
        : { id, port, expiresAt, profile: content as ViewerProfile };
      const timer = timerAt(expiresAt, () => void this.expire(id));
      this.viewers.set(id, { live, server, timer, reloadable: options.reloadable ?? false, pending, inFlight: 0 });
      this.options.log.info({ viewer: id, port, expiresAt: expiresAt.toISOString(), pending: pending !== undefined }, 'viewer opened');
      return live;
    } finally {
      slot.release();
    }
  }

  private async load(id: string): Promise<LiveViewer | undefined> {
    let found: Awaited<ReturnType<ViewerLoader>>;
    try {
      found = await this.options.loader?.(id);
    } catch (error) {
      this.options.log.warn({ viewer: id, error: (error as Error).message }, 'loading a viewer failed');
      throw new ViewerUnavailableError(`loading the viewer from storage: ${(error as Error).message}`, 5);
    }
    if (!found || found.expiresAt.getTime() <= Date.now() || this.closed) return undefined;
    const content = found.profile;
    const live =
      content instanceof PendingCapture
        ? this.viewers.get(id)?.live ?? (await this.start(this.reserve(), content, id, found.expiresAt, { reloadable: true }))
        : await this.reopen(this.reserve(), content, { id, expiresAt: found.expiresAt }, { reloadable: true });
    this.options.log.info({ viewer: id }, 'viewer reloaded');
    return live;
  }

  /** Counts a request in flight; the function returned ends it (once). */
  private begin(id: string, entry = this.viewers.get(id)): () => void {
    if (!entry) return () => {};
    entry.inFlight++;
    this.touch(id);
    let ended = false;
    return () => {
      if (!ended) entry.inFlight--;
      ended = true;
    };
  }

  /** Closes the least recently used viewer that is idle and can come back; false when there is none. */
  private evictOne(): boolean {
    for (const [id, entry] of this.viewers) {
      if (entry.inFlight === 0 && evictable(entry)) {
        void this.close(id, 'viewer evicted: its slot was needed');
        return true;
      }
    }
    return false;
  }

  private async close(id: string, why: string): Promise<void> {
    const entry = this.viewers.get(id);
    if (!entry) return;
    this.viewers.delete(id);
    entry.timer.clear();
    await entry.server.close();
    this.options.log.info({ viewer: id }, why);
  }
}

/** A stored profile can be reloaded; a failed capture has nothing to lose but its error text. */
function evictable(entry: Entry): boolean {
  const state = entry.pending?.state ?? 'ready';
  return state === 'failed' || (state === 'ready' && entry.reloadable);
}

export function newViewerId(): string {
  return crypto.randomBytes(16).toString('hex'); // 128 bits: the address is the only key
}

function expiry(expirationSeconds: number): Date {
  return new Date(Date.now() + expirationSeconds * 1000);
}

/** Calls fn at `when`, however far off: past MAX_TIMER_MS it waits in steps. */
function timerAt(when: Date, fn: () => void): { clear(): void } {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = when.getTime() - Date.now();
    timer = setTimeout(left > MAX_TIMER_MS ? arm : fn, Math.min(Math.max(left, 0), MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
