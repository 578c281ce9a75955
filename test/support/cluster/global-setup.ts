/**
 * Jest's globalSetup: one real control plane for the whole run (`cluster/main.ts`, what `npm run cluster` runs),
 * shared by every suite that talks to Kubernetes. Its cluster.json path reaches the suites as
 * GO_PROFILER_TEST_CLUSTER; its own log goes to test-output/cluster.log.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { CLUSTER_ENV, CLUSTER_LOG, COLLECTOR_IMAGE, REPO_ROOT } from './paths';

// Binaries are built by `pretest` (npm run cluster:build); a start from cache takes seconds, a cold one minutes.
const READY_TIMEOUT_MS = 30 * 60_000;

export default async function globalSetup(): Promise<void> {
  fs.mkdirSync(path.dirname(CLUSTER_LOG), { recursive: true });
  const log = fs.openSync(CLUSTER_LOG, 'w');
  const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'node'), ['-r', './test/support/register-ts.js', 'cluster/main.ts', '--exit-with-parent'], {
    cwd: REPO_ROOT,
    env: { ...process.env, COLLECTOR_IMAGE },
    stdio: ['ignore', 'pipe', log],
  });
  fs.closeSync(log);
  (globalThis as { testCluster?: unknown }).testCluster = child;
  const kubeconfig = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the test cluster was not ready in ${READY_TIMEOUT_MS / 60_000} min; see ${CLUSTER_LOG}`)), READY_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`the test cluster exited (${code}) before it was ready:\n${tail(CLUSTER_LOG)}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const ready = /^KUBECONFIG=(.+)$/.exec(line);
      if (!ready) return;
      clearTimeout(timer);
      resolve(ready[1]);
    });
  });
  process.env[CLUSTER_ENV] = path.join(path.dirname(kubeconfig), 'cluster.json');
}

function tail(file: string): string {
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
}
