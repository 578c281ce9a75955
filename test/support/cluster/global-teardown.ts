/** Jest's globalTeardown: stops the shared control plane (SIGTERM: it stops every component and removes its files). */
import type { ChildProcess } from 'node:child_process';

const STOP_TIMEOUT_MS = 30_000;

export default async function globalTeardown(): Promise<void> {
  const child = (globalThis as { testCluster?: ChildProcess }).testCluster;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
