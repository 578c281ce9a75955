import fs from 'node:fs';
import path from 'node:path';
import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { goPprofTop } from './support/go-pprof';
import { GoTarget, startGoTarget } from './support/go-target';
import { request } from './support/http-json';
import { CONTROL_PLANE, IMAGE, JOB_NAMESPACE, JobCluster, jobCreations, startJobCluster, TARGET } from './support/job-cluster';
import { makeTestPki, TestPki } from './support/tls';

// The whole node-Job path against the kube-apiserver stand-in: the service looks up the pod, creates the Job
// (validated against the Kubernetes schema), the stand-in's kubelet runs `node dist/collect.js` for real against the
// real Go target, the service reads the framed pod log back, and the answer and viewer are those of an http source.
let c: JobCluster;

beforeAll(async () => {
  c = await startJobCluster();
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

afterEach(async () => {
  expect(await c.nothingLeft()).toEqual({ jobs: [], pods: [] });
});

const onTargetPod = { [KEYS.collector]: 'job', 'pod.namespace': TARGET.namespace, 'pod.name': TARGET.name, container: 'app', 'diagnosis.namespace': 'ops', 'diagnosis.name': 'job-e2e' };

describe.each(['Profile', 'Heap', 'Goroutine', 'Allocs', 'Block', 'Mutex', 'Threadcreate'])('%s through a Job on the pod\'s node', (type) => {
  test('200; the viewer shows what go tool pprof shows for the stored bytes; the Job is pinned and then deleted', async () => {
    const requestsBefore = c.kube.requests.length;
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
    expect(info.source).toBe(`http://${TARGET.ip}:${TARGET.port}/debug/pprof/${type.toLowerCase()}`);

    const mine = c.kube.requests.slice(requestsBefore);
    const [created] = jobCreations(mine).map((r) => JSON.parse(r.body));
    expect(created.spec.template.spec.nodeName).toBe(TARGET.node);
    expect(created.spec.template.spec.hostNetwork).toBeUndefined();
    expect(created.spec.template.spec.containers[0].image).toBe(IMAGE);
    const deleted = mine.find((r) => r.method === 'DELETE' && r.path === `/apis/batch/v1/namespaces/${JOB_NAMESPACE}/jobs/${created.metadata.name}`);
    expect(deleted?.query.propagationPolicy).toBe('Background');
  }, 60_000);
});

test('a CPU profile asks the target for duration_seconds and gives the Job that much more time', async () => {
  const answer = await c.profile({ ...onTargetPod, [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '2' });
  expect(answer.status).toBe(200);
  const job = c.jobsSent().at(-1) as any;
  expect(job.spec.template.spec.containers[0].args.slice(0, 4)).toEqual(['--url', `http://${TARGET.ip}:${TARGET.port}/debug/pprof/profile?seconds=2`, '--timeout-seconds', '32']);
  expect(job.spec.activeDeadlineSeconds).toBe(32 + 60);
});

test('a node-local source through a host-network Job on that node (kube-scheduler on 127.0.0.1:10259)', async () => {
  const answer = await c.profile({
    [KEYS.collector]: 'job', [KEYS.type]: 'heap', [KEYS.jobHostNetwork]: 'true',
    [KEYS.source]: `http://${CONTROL_PLANE.schedulerAddress}`, [KEYS.jobNode]: CONTROL_PLANE.node,
  });
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.json()[`${RESULT}summary`]).top[0].function).toBe('main.allocBig');
  const pod = (c.jobsSent().at(-1) as any).spec.template.spec;
  expect(pod).toMatchObject({ nodeName: CONTROL_PLANE.node, hostNetwork: true, tolerations: [{ operator: 'Exists' }] });
  expect(pod.containers[0].args[1]).toBe(`http://${CONTROL_PLANE.schedulerAddress}/debug/pprof/heap`);
});

test('two requests for the same target and type share one Job', async () => {
  const before = jobCreations(c.kube.requests).length;
  const body = { ...onTargetPod, [KEYS.type]: 'Goroutine' };
  const [first, second] = await Promise.all([c.profile(body), c.profile(body)]);
  expect([first.status, second.status]).toEqual([200, 200]);
  expect(jobCreations(c.kube.requests).length - before).toBe(1);
  expect(c.svc.logs().some((l) => l.msg === 'joining the collector Job already running for this target')).toBe(true);
});

describe('an https target that wants a token: the Secret reaches the collector as a mounted volume only', () => {
  const TOKEN = 'pprof-reader-token-for-the-job-0123456789';
  let pki: TestPki;
  let tlsTarget: GoTarget;
  let tls: JobCluster;

  beforeAll(async () => {
    pki = await makeTestPki(['127.0.0.1', 'localhost']);
    tlsTarget = await startGoTarget({ tls: { cert: path.join(pki.dir, 'server.crt'), key: path.join(pki.dir, 'server.key') }, token: TOKEN });
    tls = await startJobCluster({}, tlsTarget);
    tls.kube.addSecret(JOB_NAMESPACE, 'pprof-token', { token: `${TOKEN}\n`, 'ca.crt': pki.caCert });
  }, 120_000);

  afterAll(async () => {
    await tls?.stop();
    await tlsTarget?.stop();
    fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  test('200; the token is in no Job, no request the service sent, no log line, no pod log', async () => {
    const served: string[] = [];
    tls.kube.kubelet.tamper = (log) => {
      served.push(...log.map((l) => l.text));
      return log;
    };
    const answer = await tls.profile({ ...onTargetPod, [KEYS.type]: 'heap', [KEYS.secretName]: 'pprof-token' });
    expect(answer.status).toBe(200);
    const job = tls.jobsSent().at(-1) as any;
    expect(job.spec.template.spec.containers[0].args[1]).toBe(`https://${TARGET.ip}:${TARGET.port}/debug/pprof/heap`);
    expect(job.spec.template.spec.volumes).toEqual([{ name: 'target-credentials', secret: { secretName: 'pprof-token', defaultMode: 0o440 } }]);
    expect(tls.kube.requests.filter((r) => r.body.includes(TOKEN))).toEqual([]);
    expect(tls.svc.logText()).not.toContain(TOKEN);
    expect(tls.kube.requests.some((r) => r.path.includes('/secrets/'))).toBe(false);
    expect(served.length).toBeGreaterThan(10);
    expect(served.join('\n')).not.toContain(TOKEN);
    tls.kube.kubelet.tamper = undefined;
  });

  test('a wrong token: the collector\'s own reason (the target answered 401)', async () => {
    tls.kube.addSecret(JOB_NAMESPACE, 'wrong-token', { token: 'not-it', 'ca.crt': pki.caCert });
    const answer = await tls.profile({ ...onTargetPod, [KEYS.type]: 'heap', [KEYS.secretName]: 'wrong-token' });
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(/^collecting with Job kubediag\/go-profiler-heap-[0-9a-f]{8} on node worker-1: the collector failed: fetching profile from https:\/\/10\.244\.1\.17:6060\/debug\/pprof\/heap: the source answered 401/);
  });
});
