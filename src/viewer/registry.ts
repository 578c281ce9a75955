import crypto from 'node:crypto';
import { CapacityError } from '../errors';
import { Logger } from '../log';
import { ViewerProfile } from './viewer-profile';
import { ViewerServer } from './viewer-server';

export interface LiveViewer {
  id: string;
  port: number;
  expiresAt: Date;
  profile: ViewerProfile;
}

export interface RegistryOptions {
  maxViewers: number;
  bindAddress: string;
  log: Logger;
}

/** A promise of a viewer slot, taken before the fetch so a full service says 503 before doing any work. */
export interface Slot {
  release(): void;
}

/** The live viewers: each has its own server and a timer that closes it at expiry. */
export class ViewerRegistry {
  private readonly viewers = new Map<string, { live: LiveViewer; server: ViewerServer; timer: NodeJS.Timeout }>();
  private reserved = 0;

  constructor(private readonly options: RegistryOptions) {}

  get size(): number {
    return this.viewers.size;
  }

  reserve(): Slot {
    if (this.viewers.size + this.reserved >= this.options.maxViewers) {
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
  async open(slot: Slot, profile: ViewerProfile, expirationSeconds: number): Promise<LiveViewer> {
    try {
      const id = crypto.randomBytes(16).toString('hex'); // 128 bits: the address is the only key
      const expiresAt = new Date(Date.now() + expirationSeconds * 1000);
      const server = new ViewerServer(profile, expiresAt);
      const port = await server.listen(this.options.bindAddress);
      const live = { id, port, expiresAt, profile };
      const timer = setTimeout(() => void this.expire(id), expirationSeconds * 1000);
      timer.unref();
      this.viewers.set(id, { live, server, timer });
      this.options.log.info({ viewer: id, port, expiresAt: expiresAt.toISOString() }, 'viewer opened');
      return live;
    } finally {
      slot.release();
    }
  }

  get(id: string): LiveViewer | undefined {
    return this.viewers.get(id)?.live;
  }

  /** Closes a viewer: stops listening, drops its connections, forgets the profile so its memory can go. */
  async expire(id: string): Promise<void> {
    const entry = this.viewers.get(id);
    if (!entry) return;
    this.viewers.delete(id);
    clearTimeout(entry.timer);
    await entry.server.close();
    this.options.log.info({ viewer: id }, 'viewer closed');
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.viewers.keys()].map((id) => this.expire(id)));
  }
}
