import fs from 'node:fs';
import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { startGoTargetPod, type GoTargetPod } from './support/cluster/go-target-pod';
import { COLLECTOR_IMAGE, JOB_NAMESPACE, useProfilerOnCluster, TARGET_NODE } from './support/cluster/profiler-on-cluster';
import { goPprofTop } from './support/go-pprof';
import { request } from './support/http-json';
import { makeTestPki, TestPki } from './support/tls';

// The whole node-Job path on the real control plane (test/support/cluster): the service looks up the pod, creates
// the Job as its own ServiceAccount, the real Job controller makes the pod, the node agent (the one stand-in: no
// container runtime here) runs `node dist/collect.js` against the Go target pod, the profile comes back through the
// real pods/log, and the garbage collector removes the pod once the service deletes the Job.
const c = useProfilerOnCluster();

const onTargetPod = { [KEYS.collector]: 'job', 'pod.namespace': 'apps', 'pod.name': 'gotarget', container: 'app', 'diagnosis.namespace': 'ops', 'diagnosis.name': 'job-e2e' };

describe.each(['Profile', 'Heap', 'Goroutine', 'Allocs', 'Block', 'Mutex', 'Threadcreate'])('%s through a Job on the pod\'s node', (type) => {
  test('200; the viewer shows what go tool pprof shows for the stored bytes; the Job is pinned and then deleted', async () => {
    const mark = c.cluster.mark();
    const answer = await c.profile({ ...onTargetPod, [KEYS.type]: type, [KEYS.durationSeconds]: '1', [KEYS.expirationSeconds]: '60' });
    expect(answer.status).toBe(200);
    const body = answer.json();
    const file = body[`${RESULT}profile_path`] as string;
    expect(file).toMatch(/profilers\/go\/pprof\/apps\.gotarget\.app\/\d{14}\/ops\.job-e2e\./);
    const reference = await goPprofTop(file);
    const top = (await request(`${body[`${RESULT}viewer_url`]}/api/top`)).json();
    expect(top.total).toBe(reference.total);
    expect(top.rows.map((r: { name: string; flat: number }) => ({ name: r.name, flat: r.flat }))).toEqual(reference.rows.map((r) => ({ name: r.name, flat: r.flat })));
    const info = (await request(`${body[`${RESULT}viewer_url`]}/api/profile`)).json();
    expect(info.source).toBe(`${c.target.url}/debug/pprof/${type.toLowerCase()}`);

    const [created] = c.jobsSent(mark);
    expect(created.spec.template.spec.nodeName).toBe(TARGET_NODE);
    expect(created.spec.template.spec.hostNetwork).toBeUndefined();
    expect(created.spec.template.spec.containers[0].image).toBe(COLLECTOR_IMAGE);
    const deletions = c.requests(mark, (e) => e.verb === 'delete' && e.objectRef?.resource === 'jobs');
    expect(deletions.map((e) => [e.objectRef?.name, e.responseStatus?.code])).toEqual([[created.metadata.name, 200]]);
    expect(JSON.stringify(deletions[0].requestObject ?? {}) + deletions[0].requestURI).toMatch(/propagationPolicy["=:]+Background/);
  }, 60_000);
});

test('a CPU profile asks the target for duration_seconds and gives the Job that much more time', async () => {
  const mark = c.cluster.mark();
  const answer = await c.profile({ ...onTargetPod, [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '2' });
  expect(answer.status).toBe(200);
  const [job] = c.jobsSent(mark);
  expect(job.spec.template.spec.containers[0].args.slice(0, 4)).toEqual(['--url', `${c.target.url}/debug/pprof/profile?seconds=2`, '--timeout-seconds', '32']);
  expect(job.spec.activeDeadlineSeconds).toBe(32 + 60);
});

describe('a node-local source through a host-network Job on that node', () => {
  let scheduler: GoTargetPod;

  beforeAll(async () => {
    // As kube-scheduler: a host-network pod of node-a bound to the node's localhost.
    scheduler = await startGoTargetPod(c.cluster, { namespace: JOB_NAMESPACE, name: 'local-scheduler', node: TARGET_NODE, port: 10259, hostNetwork: true, bind: '127.0.0.1' });
  }, 60_000);

  afterAll(async () => {
    await c.cluster.kubectl(['-n', JOB_NAMESPACE, 'delete', 'pod', 'local-scheduler', '--ignore-not-found']);
  });

  test('200 with the target\'s profile; the Job runs on the host network of that node', async () => {
    const mark = c.cluster.mark();
    const answer = await c.profile({
      [KEYS.collector]: 'job', [KEYS.type]: 'heap', [KEYS.jobHostNetwork]: 'true',
      [KEYS.source]: `http://127.0.0.1:${scheduler.port}`, [KEYS.jobNode]: TARGET_NODE,
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.json()[`${RESULT}summary`]).top[0].function).toBe('main.allocBig');
    const pod = c.jobsSent(mark)[0].spec.template.spec;
    expect(pod).toMatchObject({ nodeName: TARGET_NODE, hostNetwork: true, tolerations: [{ operator: 'Exists' }] });
    expect(pod.containers[0].args[1]).toBe(`http://127.0.0.1:${scheduler.port}/debug/pprof/heap`);
  });
});

test('two requests for the same target and type share one Job', async () => {
  const mark = c.cluster.mark();
  const body = { ...onTargetPod, [KEYS.type]: 'Goroutine' };
  const [first, second] = await Promise.all([c.profile(body), c.profile(body)]);
  expect([first.status, second.status]).toEqual([200, 200]);
  expect(c.jobsSent(mark)).toHaveLength(1);
  expect(c.svc.logs().some((l) => l.msg === 'joining the collector Job already running for this target')).toBe(true);
});

describe('an https target that wants a token: the Secret reaches the collector as a mounted volume only', () => {
  const TOKEN = 'pprof-reader-token-for-the-job-0123456789';
  let pki: TestPki;
  let tlsTarget: GoTargetPod;

  beforeAll(async () => {
    // The pod's IP is known only once it runs: the certificate names every address of the node's pod range.
    pki = await makeTestPki(c.cluster.info.nodes.find((n) => n.name === TARGET_NODE)!.podAddresses);
    await c.cluster.kubectl(['-n', 'apps', 'create', 'secret', 'tls', 'gotarget-tls', `--cert=${pki.dir}/server.crt`, `--key=${pki.dir}/server.key`]);
    await c.cluster.kubectl(['-n', JOB_NAMESPACE, 'create', 'secret', 'generic', 'pprof-token', `--from-literal=token=${TOKEN}`, `--from-file=ca.crt=${pki.dir}/ca.crt`]);
    await c.cluster.kubectl(['-n', JOB_NAMESPACE, 'create', 'secret', 'generic', 'wrong-token', '--from-literal=token=not-it', `--from-file=ca.crt=${pki.dir}/ca.crt`]);
    tlsTarget = await startGoTargetPod(c.cluster, { namespace: 'apps', name: 'tls-target', node: TARGET_NODE, tlsSecret: 'gotarget-tls', token: TOKEN });
  }, 60_000);

  afterAll(async () => {
    await c.cluster.kubectl(['-n', 'apps', 'delete', 'pod/tls-target', 'secret/gotarget-tls', '--ignore-not-found']);
    await c.cluster.kubectl(['-n', JOB_NAMESPACE, 'delete', 'secret/pprof-token', 'secret/wrong-token', '--ignore-not-found']);
    fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  const heapOfTlsTarget = (secret: string) => ({ ...onTargetPod, 'pod.name': 'tls-target', [KEYS.type]: 'heap', [KEYS.secretName]: secret });

  test('200; the token is in no Job, no request the service sent, no log line of the service', async () => {
    const mark = c.cluster.mark();
    const answer = await c.profile(heapOfTlsTarget('pprof-token'));
    expect(answer.status).toBe(200);
    const [job] = c.jobsSent(mark);
    expect(job.spec.template.spec.containers[0].args[1]).toBe(`${tlsTarget.url}/debug/pprof/heap`);
    expect(tlsTarget.url).toMatch(/^https:/);
    expect(job.spec.template.spec.volumes).toEqual([{ name: 'target-credentials', secret: { secretName: 'pprof-token', defaultMode: 0o440 } }]);
    expect(JSON.stringify(c.requests(mark))).not.toContain(TOKEN);
    expect(c.requests(mark, (e) => e.objectRef?.resource === 'secrets')).toEqual([]);
    expect(c.svc.logText()).not.toContain(TOKEN);
  });

  test('a wrong token: the collector\'s own reason (the target answered 401)', async () => {
    const answer = await c.profile(heapOfTlsTarget('wrong-token'));
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(
      new RegExp(`^collecting with Job kubediag/go-profiler-heap-[0-9a-f]{8} on node ${TARGET_NODE}: the collector failed: fetching profile from ${tlsTarget.url.replace(/\./g, '\\.')}/debug/pprof/heap: the source answered 401`),
    );
  });
});
