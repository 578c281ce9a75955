// The child of health-probe.ts: polls argv[2]'s /healthz every argv[3] ms until the parent says 'stop', then sends
// the latencies (or the first failure) back.
import { request } from './http-json';
import type { ProbeMessage } from './health-probe';

const [serviceUrl, everyMs] = [process.argv[2], Number(process.argv[3])];
const latencies: number[] = [];
let stopped = false;
let failure: string | undefined;

async function poll(): Promise<void> {
  while (!stopped) {
    const started = performance.now();
    const { status } = await request(`${serviceUrl}/healthz`);
    if (status !== 200) throw new Error(`/healthz answered ${status}`);
    latencies.push(performance.now() - started);
    if (latencies.length === 1) process.send?.({} satisfies ProbeMessage);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const polling = poll().catch((error: Error) => {
  failure = error.message;
  if (latencies.length === 0) process.send?.({ error: failure } satisfies ProbeMessage);
});
process.on('message', () => {
  stopped = true;
  void polling.then(() => process.send?.((failure ? { error: failure } : { latencies }) satisfies ProbeMessage));
});
// A parent that is gone (a test that failed before stop()) takes the probe with it.
process.on('disconnect', () => process.exit(0));
