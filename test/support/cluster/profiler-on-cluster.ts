/**
 * go-profiler against the real test cluster, as the node overlay deploys it: `deploy/overlays/node` applied
 * server-side into `kubediag` (privileged, as KubeDiag's own namespace is), the service run in-process with a
 * kubeconfig holding a TokenRequest token of its ServiceAccount `kubediag/go-profiler`, so the real authorizer
 * judges the RBAC of deploy/. The Go target runs as pod apps/gotarget on node-a.
 */
import path from 'node:path';
import { kubeProviderFromFile } from '../../../src/acquire/kube/clients';
import { request, type HttpAnswer } from '../http-json';
import { kustomizeText } from '../kustomize';
import { startService, type RunningService } from '../service';
import { startGoTargetPod, type GoTargetPod } from './go-target-pod';
import { COLLECTOR_IMAGE, REPO_ROOT } from './paths';
import { testCluster, type AuditEvent, type TestCluster } from './test-cluster';

export const JOB_NAMESPACE = 'kubediag';
export const SERVICE_ACCOUNT = `system:serviceaccount:${JOB_NAMESPACE}:go-profiler`;
export const TARGET_NODE = 'node-a';
export { COLLECTOR_IMAGE };

export interface ProfilerOnCluster {
  cluster: TestCluster;
  target: GoTargetPod;
  svc: RunningService;
  kubeconfig: string;
  /** POSTs a processor request to svc. */
  profile(body: Record<string, unknown>): Promise<HttpAnswer>;
  /** Another service as the same ServiceAccount, with extra configuration; the caller stops it. */
  service(env?: Record<string, string>): Promise<RunningService>;
  /** The Jobs the service created since the audit mark, as the API server received them. */
  jobsSent(since: number): Array<Record<string, any>>;
  /** The service account's requests since the mark. */
  requests(since: number, filter?: (e: AuditEvent) => boolean): AuditEvent[];
  /** Waits until no Job and no collector pod is left in the Job namespace (the garbage collector takes a moment). */
  nothingLeft(): Promise<{ jobs: string[]; pods: string[] }>;
  stop(): Promise<void>;
}

let deployed: Promise<void> | undefined;

/** The node overlay and the target pod: applied once per run, shared by the suites. */
function deployOnce(cluster: TestCluster): Promise<void> {
  deployed ??= (async () => {
    await cluster.namespace(JOB_NAMESPACE, { 'pod-security.kubernetes.io/enforce': 'privileged' });
    await cluster.namespace('apps', { 'pod-security.kubernetes.io/enforce': 'baseline' });
    await cluster.apply(kustomizeText(path.join(REPO_ROOT, 'deploy', 'overlays', 'node')));
  })();
  return deployed;
}

export async function startProfilerOnCluster(env: Record<string, string> = {}): Promise<ProfilerOnCluster> {
  const cluster = await testCluster();
  await deployOnce(cluster);
  const target = await ensureTarget(cluster);
  const kubeconfig = await cluster.serviceAccountKubeconfig(JOB_NAMESPACE, 'go-profiler');
  const config = { COLLECTOR_IMAGE, JOB_NAMESPACE, POD_NAMESPACE: JOB_NAMESPACE, ...env };
  const service = (extra: Record<string, string> = {}) => startService({ ...config, ...extra }, kubeProviderFromFile(kubeconfig));
  const svc = await service();
  const requests = (since: number, filter: (e: AuditEvent) => boolean = () => true) =>
    cluster.events(since, (e) => e.user.username === SERVICE_ACCOUNT && filter(e));
  return {
    cluster,
    target,
    svc,
    kubeconfig,
    profile: (body) => request(`${svc.url}/processor/goProfiler`, { body }),
    service,
    requests,
    jobsSent: (since) =>
      requests(since, (e) => e.verb === 'create' && e.objectRef?.resource === 'jobs' && e.objectRef.subresource === undefined)
        .map((e) => e.requestObject as Record<string, any>),
    nothingLeft: () => nothingLeft(cluster),
    stop: () => svc.stop(),
  };
}

let target: Promise<GoTargetPod> | undefined;

function ensureTarget(cluster: TestCluster): Promise<GoTargetPod> {
  target ??= startGoTargetPod(cluster, { namespace: 'apps', name: 'gotarget', node: TARGET_NODE });
  return target;
}

const LEFTOVER_TIMEOUT_MS = 30_000;

async function nothingLeft(cluster: TestCluster): Promise<{ jobs: string[]; pods: string[] }> {
  const list = async () => {
    const jobs = (await cluster.getJson(['-n', JOB_NAMESPACE, 'get', 'jobs'])).items.map((j: any) => j.metadata.name as string);
    const pods = (await cluster.getJson(['-n', JOB_NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/component=collector'])).items.map((p: any) => p.metadata.name as string);
    return { jobs, pods };
  };
  const deadline = Date.now() + LEFTOVER_TIMEOUT_MS;
  for (;;) {
    const left = await list();
    if ((left.jobs.length === 0 && left.pods.length === 0) || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * A suite's hooks around startProfilerOnCluster: started before its tests, stopped after them, and after each test
 * no Job and no collector pod left. The object forwards to the running profiler, so tests use it as they would
 * the profiler itself.
 */
export function useProfilerOnCluster(env: Record<string, string> = {}): ProfilerOnCluster {
  let current: ProfilerOnCluster | undefined;
  beforeAll(async () => {
    current = await startProfilerOnCluster(env);
  }, 120_000);
  afterAll(async () => {
    await current?.stop();
  });
  afterEach(async () => {
    expect(await current?.nothingLeft()).toEqual({ jobs: [], pods: [] });
  }, LEFTOVER_TIMEOUT_MS + 10_000);
  return new Proxy({} as ProfilerOnCluster, {
    get(_target, key) {
      if (!current) throw new Error('the profiler on the cluster is used before its suite started it');
      return current[key as keyof ProfilerOnCluster];
    },
  });
}
