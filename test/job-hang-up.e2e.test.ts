import http from 'node:http';
import { KEYS } from '../src/parameters/schema';
import { JOB_NAMESPACE, useProfilerOnCluster } from './support/cluster/profiler-on-cluster';

// A caller that hangs up mid-Job, on the real control plane (test/support/cluster): its Job is deleted at once
// (the real garbage collector takes the pod), unless another caller still waits for the same Job, which goes on.
const c = useProfilerOnCluster();

const cpuByJob = { [KEYS.collector]: 'job', [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '4', 'pod.namespace': 'apps', 'pod.name': 'gotarget' };

/** POSTs the body and returns a function that hangs up. */
function post(body: unknown): { hangUp(): void } {
  const req = http.request(`${c.svc.url}/processor/goProfiler`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false });
  req.on('error', () => undefined);
  req.end(JSON.stringify(body));
  return { hangUp: () => req.destroy() };
}

async function runningCollector(): Promise<string> {
  for (let waited = 0; waited < 30_000; waited += 100) {
    const pods = (await c.cluster.getJson(['-n', JOB_NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/component=collector'])).items;
    const running = pods.find((p: any) => p.status?.phase === 'Running');
    if (running) return running.metadata.labels['batch.kubernetes.io/job-name'];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no collector pod ran');
}

test('the only caller hangs up: the Job is deleted at once, before its CPU profile is done', async () => {
  const mark = c.cluster.mark();
  const cancelledBefore = c.svc.logs().filter((l) => l.outcome === 'cancelled').length;
  const caller = post(cpuByJob);
  const job = await runningCollector();
  const hungUpAt = Date.now();
  caller.hangUp();
  for (let waited = 0; waited < 10_000 && c.requests(mark, (e) => e.verb === 'delete' && e.objectRef?.name === job).length === 0; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const deletions = c.requests(mark, (e) => e.verb === 'delete' && e.objectRef?.name === job);
  expect(deletions.map((e) => e.responseStatus?.code)).toEqual([200]);
  // Deleted well before the 4 s profile would have ended.
  expect(Date.parse(deletions[0].stageTimestamp) - hungUpAt).toBeLessThan(2000);
  expect(c.svc.logs().filter((l) => l.outcome === 'cancelled')).toHaveLength(cancelledBefore + 1);
});

test('two callers share a Job; one hangs up, the other gets its profile from the same Job', async () => {
  // Not a CPU profile: those of one source are taken one after another, so they never share a Job.
  const heapByJob = { ...cpuByJob, [KEYS.type]: 'Heap' };
  const mark = c.cluster.mark();
  const cancelledBefore = c.svc.logs().filter((l) => l.outcome === 'cancelled').length;
  const leaving = post(heapByJob);
  const staying = new Promise<number>((resolve, reject) => {
    const req = http.request(`${c.svc.url}/processor/goProfiler`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(heapByJob));
  });
  for (let waited = 0; waited < 5000 && !c.svc.logs().some((l) => l.msg === 'joining the collector Job already running for this target'); waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  leaving.hangUp();
  expect(await staying).toBe(200);
  expect(c.jobsSent(mark)).toHaveLength(1);
  expect(c.svc.logs().filter((l) => l.outcome === 'cancelled')).toHaveLength(cancelledBefore + 1);
});
