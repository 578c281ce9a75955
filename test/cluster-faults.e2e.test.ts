import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KEYS } from '../src/parameters/schema';
import type { ClusterInfo } from '../cluster/cluster';
import { COLLECTOR_IMAGE, JOB_NAMESPACE, useProfilerOnCluster } from './support/cluster/profiler-on-cluster';
import { CLUSTER_ENV, REPO_ROOT } from './support/cluster/paths';
import { request } from './support/http-json';
import { spawnService } from './support/service-process';

// Faults of the real thing, on the real control plane (test/support/cluster): kube-apiserver killed while the
// service watches its Job (the cluster process starts it again, as a kubelet restarts a static pod), and SIGTERM to
// the service as a process mid-Job. Nothing of the Job may stay behind.
const c = useProfilerOnCluster();

const cpuByJob = (seconds: number) => ({ [KEYS.collector]: 'job', [KEYS.type]: 'Profile', [KEYS.durationSeconds]: String(seconds), 'pod.namespace': 'apps', 'pod.name': 'gotarget' });

test('kube-apiserver killed while the service watches its Job: the watch resumes, the profile comes, the Job is deleted', async () => {
  const mark = c.cluster.mark();
  const answer = c.profile(cpuByJob(15));
  await collectorPod((pod) => pod.status?.phase === 'Running');
  const before = readInfo().components['kube-apiserver'];
  process.kill(before, 'SIGKILL');
  const result = await answer;
  expect(readInfo().components['kube-apiserver']).not.toBe(before);
  expect({ status: result.status, error: result.status === 200 ? undefined : result.json().error }).toEqual({ status: 200, error: undefined });
  expect(JSON.parse(result.json()['diagnoser.runtime.go_profiler.result.summary']).type).toBe('Profile');
  // The Job the service created is the one it deleted, once the API was back.
  const [job] = c.jobsSent(mark);
  expect(job.metadata.name).toMatch(/^go-profiler-profile-/);
  expect(c.svc.logs().some((l) => l.msg === 'collector Job deleted' && l.job === `${JOB_NAMESPACE}/${job.metadata.name}`)).toBe(true);
}, 90_000);

test('SIGTERM to the service mid-Job: 503 to the caller, the process exits, the Job and its pod are gone', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-home-'));
  const svc = await spawnService(path.join(REPO_ROOT, 'node_modules', '.bin', 'node'), ['dist/main.js'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '', HOME: home, PORT: '0', DATA_ROOT: path.join(home, 'data'), ADVERTISE_ADDRESS: '127.0.0.1',
      KUBECONFIG: c.kubeconfig, COLLECTOR_IMAGE, JOB_NAMESPACE, POD_NAMESPACE: JOB_NAMESPACE, FETCH_TIMEOUT_SECONDS: '60',
    },
  });
  try {
    // A Secret volume that does not exist keeps the collector pod in ContainerCreating: the Job is mid-way.
    const answer = request(`${svc.url}/processor/goProfiler`, { body: { ...cpuByJob(1), [KEYS.type]: 'Heap', [KEYS.secretName]: 'not-created' } });
    await collectorPod((pod) => pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating');
    const started = Date.now();
    svc.child.kill('SIGTERM');
    const result = await answer;
    expect(result.status).toBe(503);
    expect(result.json().error).toBe('the service is shutting down: the collection was stopped and its Job deleted');
    expect(await svc.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    svc.child.kill('SIGKILL');
    fs.rmSync(home, { recursive: true, force: true });
  }
}, 90_000);

function readInfo(): ClusterInfo {
  return JSON.parse(fs.readFileSync(process.env[CLUSTER_ENV] as string, 'utf8'));
}

/** Waits for the collector pod to be as wanted. */
async function collectorPod(wanted: (pod: any) => boolean): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 100) {
    const pods = (await c.cluster.getJson(['-n', JOB_NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/component=collector'])).items;
    if (pods.some(wanted)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the collector pod never got there');
}
