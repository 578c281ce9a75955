import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs a periodic duty (a heartbeat) until signal aborts, one run at a time, the first after firstAfterMs; a failed
 * run is logged and tried again next time.
 */
export async function repeat(everyMs: number, signal: AbortSignal, duty: () => Promise<void>, log: (line: string) => void, firstAfterMs = 0): Promise<void> {
  let wait = firstAfterMs;
  while (!signal.aborted) {
    await sleep(wait, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    try {
      await duty();
    } catch (error) {
      if (!signal.aborted) log((error as Error).message);
    }
    wait = everyMs;
  }
}
