import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

/**
 * Polls the service's /healthz every `everyMs` while something else loads it, expecting 200 each time (a failure
 * surfaces from stop()). stop() ends the polling and gives each probe's latency in milliseconds.
 *
 * The polling runs in a process of its own (health-probe-child.ts), so that what it measures is the service's
 * event loop and not the test's: late in a test run the jest process holds the heap of every suite before, and
 * one of its collections, counted into a probe's time, read as a stalled service.
 */
export async function probeHealth(serviceUrl: string, everyMs: number): Promise<{ stop(): Promise<number[]> }> {
  const child: ChildProcess = fork(path.join(__dirname, 'health-probe-child.ts'), [serviceUrl, String(everyMs)], {
    execArgv: ['-r', path.join(__dirname, 'register-ts.js')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<never>((_resolve, reject) => child.once('exit', (code) => reject(new Error(`the health probe exited with ${code}`))));
  const next = () => Promise.race([new Promise<ProbeMessage>((resolve) => child.once('message', (m) => resolve(m as ProbeMessage))), exited]);
  // Resolves once the first probe has answered: the polling is under way before the caller loads the service.
  const first = await next();
  if (first.error) throw new Error(first.error);
  return {
    stop: async () => {
      const answer = next();
      child.send('stop');
      const { latencies, error } = await answer;
      child.kill();
      if (error) throw new Error(error);
      return latencies ?? [];
    },
  };
}

/** What health-probe-child.ts sends: {} once polling, then the latencies (or the failure) when told to stop. */
export interface ProbeMessage {
  latencies?: number[];
  error?: string;
}
