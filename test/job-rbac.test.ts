import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { KEYS } from '../src/parameters/schema';
import { JOB_NAMESPACE, ProfilerOnCluster, SERVICE_ACCOUNT, startProfilerOnCluster, TARGET_NODE } from './support/cluster/profiler-on-cluster';
import type { AuditEvent } from './support/cluster/test-cluster';
import { GoTarget, startGoTarget } from './support/go-target';
import { HttpAnswer, request } from './support/http-json';
import { findObject, KubeObject, kustomize, rbacFileFor } from './support/kustomize';
import { CLUSTER_GRANTS, grantsOf } from './support/rbac-grants';
import type { RunningService } from './support/service';
import { makeTestPki, TestPki } from './support/tls';

// deploy/'s RBAC is sufficient and minimal, judged by the real RBAC authorizer of the real control plane
// (test/support/cluster): the service authenticates as its own ServiceAccount kubediag/go-profiler, bound to exactly
// what deploy/overlays/node applies. A stand-in's authorizer would only prove that the service agrees with the
// stand-in; here every grant is taken away in turn on the cluster (server-side apply of the object without that
// verb), the behaviour that needs it breaks with the service's message, and it works again once the grant is back.
const DEPLOY = path.join(__dirname, '..', 'deploy');
const PODS_PROXY = path.join(DEPLOY, 'rbac', 'pods-proxy.yaml');
/** A Job namespace that enforces Pod Security "restricted", bound to the same Role. */
const RESTRICTED = 'go-profiler-restricted';
const TOKEN = 'pprof-reader-token-for-rbac-0123456789';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
type RbacObject = KubeObject & { rules: Rule[] };
type Grant = { group: string; resource: string; verb: string };

const deployed = kustomize(path.join(DEPLOY, 'overlays', 'node'));
const role = findObject(deployed, 'Role', 'go-profiler-collector-jobs') as RbacObject;
const podReader = findObject(deployed, 'ClusterRole', 'go-profiler-pod-reader') as RbacObject;
const secretReader = findObject(deployed, 'ClusterRole', 'go-profiler-secret-reader') as RbacObject;
const podsProxy = yaml.loadAll(rbacFileFor(PODS_PROXY, JOB_NAMESPACE)) as RbacObject[];
const restrictedJobRbac = deployed
  .filter((o) => o.metadata.name === 'go-profiler-collector-jobs')
  .map((o) => ({ ...o, metadata: { ...o.metadata, namespace: RESTRICTED } })) as RbacObject[];
const restrictedRole = findObject(restrictedJobRbac, 'Role', 'go-profiler-collector-jobs') as RbacObject;

let c: ProfilerOnCluster;
let pki: TestPki;
let httpsTarget: GoTarget;

beforeAll(async () => {
  c = await startProfilerOnCluster();
  pki = await makeTestPki(['127.0.0.1', 'localhost']);
  httpsTarget = await startGoTarget({ tls: { cert: path.join(pki.dir, 'server.crt'), key: path.join(pki.dir, 'server.key') }, token: TOKEN });
  await c.cluster.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: JOB_NAMESPACE, name: 'rbac-token' }, stringData: { token: TOKEN, 'ca.crt': pki.caCert } }));
  // target.workload=service/gotarget: a Service whose selector is the Go target pod's.
  await c.cluster.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'apps', name: 'gotarget' }, spec: { selector: { app: 'gotarget' }, ports: [{ port: 6060 }] } }));
}, 120_000);

afterAll(async () => {
  await c?.cluster.kubectl(['-n', JOB_NAMESPACE, 'delete', 'secret', 'rbac-token', '--ignore-not-found']);
  await c?.cluster.kubectl(['-n', 'apps', 'delete', 'service', 'gotarget', '--ignore-not-found']);
  await c?.stop();
  await httpsTarget?.stop();
  if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
});

afterEach(async () => {
  expect(await c.nothingLeft()).toEqual({ jobs: [], pods: [] });
});

const post = (svc: RunningService, body: unknown) => request(`${svc.url}/processor/goProfiler`, { body });
const heapByJob = { [KEYS.collector]: 'job', [KEYS.type]: 'heap', 'pod.namespace': 'apps', 'pod.name': 'gotarget' };
const heapByProxy = { ...heapByJob, [KEYS.collector]: 'proxy' };
const jobHeap = () => c.profile(heapByJob);
const cpu8s = () => c.profile({ ...heapByJob, [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '8' });
const httpsHeap = (namespace = JOB_NAMESPACE) =>
  c.profile({ [KEYS.source]: httpsTarget.url, [KEYS.type]: 'heap', [KEYS.secretName]: 'rbac-token', [KEYS.secretNamespace]: namespace });
const selectorHeap = () => c.profile({ [KEYS.type]: 'heap', [KEYS.targetNamespace]: 'apps', [KEYS.targetSelector]: 'app=gotarget' });
const serviceHeap = () => c.profile({ [KEYS.type]: 'heap', [KEYS.targetNamespace]: 'apps', [KEYS.targetWorkload]: 'service/gotarget' });
const forbidden = (verb: string, resource: string, group: string, namespace: string) =>
  `User "${SERVICE_ACCOUNT}" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${namespace}"`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const JOB = (namespace: string) => `collecting with Job ${namespace}/go-profiler-heap-[0-9a-f]{8} on node ${TARGET_NODE}: `;

/** The RBAC authorizer follows a change within moments: try again, briefly, until the answer is the expected one. */
async function until<T>(attempt: () => Promise<T>, done: (result: T) => boolean): Promise<T> {
  let result = await attempt();
  for (let i = 0; i < 20 && !done(result); i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    result = await attempt();
  }
  return result;
}

/** The rules as the cluster holds them, one `group resource verb` line each. */
async function rulesOnCluster(object: RbacObject): Promise<string[]> {
  const ns = object.metadata.namespace ? ['-n', object.metadata.namespace] : [];
  const live = await c.cluster.getJson([...ns, 'get', object.kind.toLowerCase(), object.metadata.name]);
  return ((live.rules ?? []) as Rule[]).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g} ${res} ${v}`)))).sort();
}

/** The object without one verb of one rule (and without the rule once it has no verb left). */
function without(object: RbacObject, grant: Grant): RbacObject {
  const rules = object.rules
    .map((r) => (r.apiGroups.includes(grant.group) && r.resources.includes(grant.resource) ? { ...r, verbs: r.verbs.filter((v) => v !== grant.verb) } : r))
    .filter((r) => r.verbs.length > 0);
  return { ...object, rules };
}

/**
 * Takes the grant away on the cluster (as the same field manager that applied it, so the verb really goes), runs
 * `use`, and gives it back whatever happens.
 */
async function withoutGrant(object: RbacObject, grant: Grant, use: () => Promise<void>): Promise<void> {
  const line = `${grant.group} ${grant.resource} ${grant.verb}`;
  const before = await rulesOnCluster(object);
  expect(before).toContain(line);
  try {
    await c.cluster.apply(JSON.stringify(without(object, grant)));
    expect(await rulesOnCluster(object)).toEqual(before.filter((l) => l !== line));
    await use();
  } finally {
    await c.cluster.apply(JSON.stringify(object));
  }
  expect(await rulesOnCluster(object)).toEqual(before);
}

const okAfterRestore = async (run: () => Promise<HttpAnswer>) => expect((await until(run, (a) => a.status === 200)).status).toBe(200);

test('on the cluster the service account holds exactly the issue\'s list, and the kustomization leaves the proxy grant out', async () => {
  const [roles, clusterRoles] = await Promise.all([c.cluster.getJson(['get', 'roles,rolebindings', '-A']), c.cluster.getJson(['get', 'clusterroles,clusterrolebindings'])]);
  expect(grantsOf([...roles.items, ...clusterRoles.items], { namespace: JOB_NAMESPACE, name: 'go-profiler' })).toEqual(
    [
      ...CLUSTER_GRANTS,
      'kubediag: "" secrets get',
      'kubediag: "batch" jobs create', 'kubediag: "batch" jobs watch', 'kubediag: "batch" jobs delete',
      'kubediag: "" pods watch', 'kubediag: "" pods/log get', 'kubediag: "" events watch',
    ].sort(),
  );
  expect((yaml.load(fs.readFileSync(path.join(DEPLOY, 'rbac', 'kustomization.yaml'), 'utf8')) as { resources: string[] }).resources).toEqual(['job-collector.yaml']);
});

test('with exactly that RBAC the Job and https paths work, and the service asks for every grant and nothing else', async () => {
  const mark = c.cluster.mark();
  expect((await jobHeap()).status).toBe(200);
  expect((await httpsHeap()).status).toBe(200);
  const line = (e: AuditEvent) => `${e.verb} ${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''} in ${e.objectRef?.namespace} ${e.responseStatus?.code}`;
  const expected = [
    'get pods in apps 200', 'create jobs in kubediag 201', 'watch jobs in kubediag 200', 'watch pods in kubediag 200', 'watch events in kubediag 200',
    'get pods/log in kubediag 200', 'delete jobs in kubediag 200', 'get secrets in kubediag 200',
  ].sort();
  // A watch is logged once it ends: the service closes its watches as the Job finishes, the log has them moments later.
  const seen = await until(async () => [...new Set(c.requests(mark).map(line))].sort(), (lines) => lines.length >= expected.length);
  expect(seen).toEqual(expected);
});

describe.each([
  ['jobs create', role, { group: 'batch', resource: 'jobs', verb: 'create' },
    `^${JOB(JOB_NAMESPACE)}creating the Job: jobs\\.batch is forbidden: ${escape(forbidden('create', 'jobs', 'batch', JOB_NAMESPACE))} ` +
    `\\(the service account needs jobs create in kubediag: deploy/rbac/job-collector\\.yaml\\)$`],
  // A CPU profile of 8 s: longer than the few seconds the service gives a refused watch to heal (an API server's
  // authorizer fills its caches after a restart); a heap profile is done before it gives up.
  ['jobs watch', role, { group: 'batch', resource: 'jobs', verb: 'watch' },
    `^collecting with Job kubediag/go-profiler-profile-[0-9a-f]{8} on node ${TARGET_NODE}: watching /apis/batch/v1/namespaces/kubediag/jobs: the API server answered 403 \\(Forbidden\\)$`, cpu8s],
  ['pods watch', role, { group: '', resource: 'pods', verb: 'watch' },
    `^${JOB(JOB_NAMESPACE)}watching /api/v1/namespaces/kubediag/pods: the API server answered 403 \\(Forbidden\\)$`],
  ['pods/log get', role, { group: '', resource: 'pods/log', verb: 'get' },
    `^${JOB(JOB_NAMESPACE)}reading the log of pod kubediag/(go-profiler-heap-[0-9a-f]{8}-\\w{5}): pods "\\1" is forbidden: ${escape(forbidden('get', 'pods/log', '', JOB_NAMESPACE))} ` +
    '\\(the service account needs pods/log get in the Job namespace\\)$'],
  ['pods get (cluster scope)', podReader, { group: '', resource: 'pods', verb: 'get' },
    `^finding the target: reading pod apps/gotarget: pods "gotarget" is forbidden: ${escape(forbidden('get', 'pods', '', 'apps'))} ` +
    '\\(the service account needs pods get at the cluster scope: deploy/rbac/job-collector\\.yaml\\)$'],
  ['pods list (cluster scope)', podReader, { group: '', resource: 'pods', verb: 'list' },
    `^finding the targets: listing pods app=gotarget in namespace apps: pods is forbidden: ${escape(forbidden('list', 'pods', '', 'apps'))} ` +
    '\\(the service account needs pods list at the cluster scope: deploy/rbac/job-collector\\.yaml\\)$', selectorHeap],
  ['services get (cluster scope)', podReader, { group: '', resource: 'services', verb: 'get' },
    `^finding the targets: reading service/gotarget in namespace apps: services "gotarget" is forbidden: ${escape(forbidden('get', 'services', '', 'apps'))} ` +
    '\\(the service account needs services get at the cluster scope: deploy/rbac/job-collector\\.yaml\\)$', serviceHeap],
] as Array<[string, RbacObject, Grant, string, (() => Promise<HttpAnswer>)?]>)('without %s', (_name, object, grant, message, run = jobHeap) => {
  test('the Job path answers 500 naming what is missing; given back, it works again', async () => {
    await withoutGrant(object, grant, async () => {
      const answer = await until(run, (a) => a.status !== 200);
      expect(answer.status).toBe(500);
      expect(answer.json().error).toMatch(new RegExp(message));
    });
    await okAfterRestore(run);
  }, 120_000);
});

test('without secrets get the https source\'s Secret is refused, naming it; given back, it is read again', async () => {
  await withoutGrant(secretReader, { group: '', resource: 'secrets', verb: 'get' }, async () => {
    const answer = await until(() => httpsHeap(), (a) => a.status !== 200);
    expect(answer.status).toBe(500);
    expect(answer.json().error).toMatch(
      new RegExp(`^reading Secret kubediag/rbac-token: access forbidden: secrets "rbac-token" is forbidden: ${escape(forbidden('get', 'secrets', '', JOB_NAMESPACE))}$`),
    );
  });
  await okAfterRestore(() => httpsHeap());
});

test('without jobs delete the profile is still served but the Job stays: the log says so and the TTL is the backstop', async () => {
  const warning = 'deleting the collector Job failed; ttlSecondsAfterFinished removes it once it ends';
  const warned = () => c.svc.logs().some((l) => l.msg === warning);
  expect(warned()).toBe(false);
  const mark = c.cluster.mark();
  try {
    await withoutGrant(role, { group: 'batch', resource: 'jobs', verb: 'delete' }, async () => {
      const answer = await until(jobHeap, () => warned());
      expect(answer.status).toBe(200);
      expect(warned()).toBe(true);
      const left = c.jobsSent(mark).at(-1)!.metadata.name as string;
      const job = await c.cluster.getJson(['-n', JOB_NAMESPACE, 'get', 'job', left]);
      expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
      const refused = c.requests(mark, (e) => e.verb === 'delete' && e.objectRef?.name === left);
      expect(refused.map((e) => e.responseStatus?.code)).toEqual([403]);
    });
    await okAfterRestore(jobHeap);
  } finally {
    // As the TTL controller would, later.
    const jobs = (await c.cluster.getJson(['-n', JOB_NAMESPACE, 'get', 'jobs'])).items.map((j: KubeObject) => `job/${j.metadata.name}`);
    if (jobs.length > 0) await c.cluster.kubectl(['-n', JOB_NAMESPACE, 'delete', '--cascade=background', ...jobs]);
  }
});

test('without events watch a Job in the service\'s privileged namespace still works: that watch is optional', async () => {
  await withoutGrant(role, { group: '', resource: 'events', verb: 'watch' }, async () => {
    const mark = c.cluster.mark();
    const eventWatches = () => c.requests(mark, (e) => e.verb === 'watch' && e.objectRef?.resource === 'events').map((e) => e.responseStatus?.code);
    const answer = await until(jobHeap, () => eventWatches().includes(403));
    expect(answer.status).toBe(200);
    expect(eventWatches()).toContain(403);
  });
});

describe('with pods-proxy.yaml applied', () => {
  beforeAll(async () => {
    await c.cluster.apply(rbacFileFor(PODS_PROXY, JOB_NAMESPACE));
  });

  afterAll(async () => {
    await c.cluster.kubectl(['delete', '--ignore-not-found', '-f', '-'], rbacFileFor(PODS_PROXY, JOB_NAMESPACE));
  });

  test('the proxy path works; without pods/proxy get it is refused naming the file; given back, it works again', async () => {
    const viaProxy = () => c.profile(heapByProxy);
    await okAfterRestore(viaProxy);
    await withoutGrant(findObject(podsProxy, 'ClusterRole', 'go-profiler-pods-proxy') as RbacObject, { group: '', resource: 'pods/proxy', verb: 'get' }, async () => {
      const answer = await until(viaProxy, (a) => a.status !== 200);
      expect(answer.status).toBe(500);
      expect(answer.json().error).toBe(
        `through the API server proxy: fetching profile from ${c.cluster.info.server}/api/v1/namespaces/apps/pods/gotarget:6060/proxy/debug/pprof/heap: ` +
          `the source answered 403 Forbidden: pods "gotarget:6060" is forbidden: ${forbidden('get', 'pods/proxy', '', 'apps')} ` +
          '(the service account needs pods/proxy get: deploy/rbac/pods-proxy.yaml)',
      );
    });
    await okAfterRestore(viaProxy);
  });
});

describe('what the RBAC does not grant is refused', () => {
  test('another namespace\'s Jobs (JOB_NAMESPACE=apps, where no Role binds the service): 500 naming the namespace, no Job', async () => {
    const mark = c.cluster.mark();
    const svc = await c.service({ JOB_NAMESPACE: 'apps' });
    try {
      const answer = await post(svc, heapByJob);
      expect(answer.status).toBe(500);
      expect(answer.json().error).toMatch(
        new RegExp(`^${JOB('apps')}creating the Job: jobs\\.batch is forbidden: ${escape(forbidden('create', 'jobs', 'batch', 'apps'))} \\(the service account needs jobs create in apps: deploy/rbac/job-collector\\.yaml\\)$`),
      );
    } finally {
      await svc.stop();
    }
    const jobCalls = c.requests(mark, (e) => e.objectRef?.resource === 'jobs');
    expect(jobCalls.map((e) => [e.verb, e.objectRef?.namespace, e.responseStatus?.code])).toEqual([['create', 'apps', 403]]);
    expect((await c.cluster.getJson(['-n', 'apps', 'get', 'jobs'])).items).toEqual([]);
  });

  test('a Secret outside SECRET_NAMESPACES: 400 naming the key, and no Secret request reaches the API server', async () => {
    const mark = c.cluster.mark();
    const answer = await httpsHeap('kube-system');
    expect(answer.status).toBe(400);
    expect(answer.json()).toEqual({
      error: 'reading Secret kube-system/rbac-token: Secrets may only be read from kubediag (SECRET_NAMESPACES)',
      details: [{ key: KEYS.secretNamespace, message: 'must be one of kubediag' }],
    });
    expect(c.requests(mark, (e) => e.objectRef?.resource === 'secrets')).toEqual([]);
  });
});

describe(`a Job namespace that enforces Pod Security "restricted" (${RESTRICTED})`, () => {
  const hostNetworkHeap = { [KEYS.collector]: 'job', [KEYS.type]: 'heap', [KEYS.jobHostNetwork]: 'true', [KEYS.source]: 'http://127.0.0.1:10259', [KEYS.jobNode]: TARGET_NODE };
  // activeDeadlineSeconds = 1 + 2 s: the deadline's answer comes quickly too.
  const quickDeadline = { JOB_NAMESPACE: RESTRICTED, FETCH_TIMEOUT_SECONDS: '1', JOB_DEADLINE_MARGIN_SECONDS: '2' };
  const hint = '(job.host_network needs a JOB_NAMESPACE whose Pod Security level allows host networking: pod-security.kubernetes.io/enforce=privileged)';
  let svc: RunningService;

  beforeAll(async () => {
    await c.cluster.namespace(RESTRICTED, { 'pod-security.kubernetes.io/enforce': 'restricted' });
    await c.cluster.apply(restrictedJobRbac.map((o) => JSON.stringify(o)).join('\n'));
    svc = await c.service(quickDeadline);
  });

  afterAll(async () => {
    await svc?.stop();
    await c.cluster.kubectl(['delete', 'namespace', RESTRICTED, '--ignore-not-found', '--wait=false']);
  });

  afterEach(async () => {
    expect(await leftIn(RESTRICTED)).toEqual({ jobs: [], pods: [] });
  });

  /** The answer and how long it took. */
  const timed = async (body: unknown) => {
    const started = Date.now();
    const answer = await post(svc, body);
    return { answer, ms: Date.now() - started };
  };

  test('a host-network Job: with events watch the Pod Security refusal is the answer at once; without, only the deadline answers', async () => {
    const atOnce = (t: { answer: HttpAnswer }) => /violates PodSecurity/.test(t.answer.json().error ?? '');
    const first = await until(() => timed(hostNetworkHeap), atOnce);
    expect(first.answer.status).toBe(500);
    expect(first.answer.json().error).toMatch(
      new RegExp(`^${JOB(RESTRICTED)}the Job could not create its pod: Error creating: pods "go-profiler-heap-[0-9a-f]{8}-\\w{5}" is forbidden: ` +
        `violates PodSecurity "restricted:latest": host namespaces \\(hostNetwork=true\\) ${escape(hint)}$`),
    );
    // The deadline cannot answer before 2 s: the Job's startTime has whole seconds, so 3 s may be 2 s and a bit.
    expect(first.ms).toBeLessThan(2_000);

    await withoutGrant(restrictedRole, { group: '', resource: 'events', verb: 'watch' }, async () => {
      const mark = c.cluster.mark();
      const late = await until(() => timed(hostNetworkHeap), (t) => !atOnce(t));
      expect(c.requests(mark, (e) => e.verb === 'watch' && e.objectRef?.resource === 'events').map((e) => e.responseStatus?.code)).toContain(403);
      expect(late.answer.status).toBe(500);
      expect(late.answer.json().error).toMatch(new RegExp(`^${JOB(RESTRICTED)}the Job ran longer than its activeDeadlineSeconds \\(3 s\\) while its pod was not yet created$`));
      expect(late.ms).toBeGreaterThanOrEqual(2_000);
    });

    const again = await until(() => timed(hostNetworkHeap), atOnce);
    expect(again.answer.json().error).toContain(hint);
    expect(again.ms).toBeLessThan(2_000);
  });

  test('a Job on the pod network there collects apps/gotarget: the collector pod meets the restricted profile', async () => {
    const mark = c.cluster.mark();
    const roomy = await c.service({ JOB_NAMESPACE: RESTRICTED });
    try {
      expect((await post(roomy, heapByJob)).status).toBe(200);
    } finally {
      await roomy.stop();
    }
    // The Job controller's pod passed the namespace's Pod Security admission.
    const pods = c.cluster.events(mark, (e) => e.verb === 'create' && e.objectRef?.resource === 'pods' && e.objectRef.namespace === RESTRICTED && !e.objectRef.subresource);
    expect(pods.map((e) => e.responseStatus?.code)).toEqual([201]);
  });
});

/** As nothingLeft, for another namespace: the garbage collector takes a moment. */
async function leftIn(namespace: string): Promise<{ jobs: string[]; pods: string[] }> {
  const names = async (kind: string) => (await c.cluster.getJson(['-n', namespace, 'get', kind])).items.map((o: KubeObject) => o.metadata.name);
  for (const deadline = Date.now() + 30_000; ;) {
    const left = { jobs: await names('jobs'), pods: await names('pods') };
    if ((left.jobs.length === 0 && left.pods.length === 0) || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
