import { request } from './http-json';

/**
 * Polls the service's /healthz every `everyMs` while something else loads it, expecting 200 each time (a failure
 * surfaces from stop()). stop() ends the polling and gives each probe's latency in milliseconds.
 */
export function probeHealth(serviceUrl: string, everyMs: number): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let done = false;
  const polling = (async () => {
    while (!done) {
      const started = performance.now();
      const { status } = await request(`${serviceUrl}/healthz`);
      if (status !== 200) throw new Error(`/healthz answered ${status}`);
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      done = true;
      await polling;
      return latencies;
    },
  };
}
