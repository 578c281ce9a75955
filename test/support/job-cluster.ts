/**
 * A small cluster for the node-collection tests: the kube-apiserver stand-in with
 * two worker nodes and a control-plane node, the real Go target behind a pod
 * (apps/gotarget at 10.244.1.17:6060 on worker-1) and behind a node-local
 * address (127.0.0.1:10259 on control-plane-1, as kube-scheduler listens), the
 * service's image in the kubelet's registry, and the service itself.
 */
import { kubeProviderFromFile } from '../../src/acquire/kube/clients';
import { GoTarget, startGoTarget } from './go-target';
import { dependentsOf, JOBS, KubeApiStandIn, PODS, startKubeApi, type KubeObject, type RecordedRequest } from './kube-api';
import { request, type HttpAnswer } from './http-json';
import { RunningService, startService } from './service';

export const IMAGE = 'registry.example/kubediag/go-profiler:test';
export const JOB_NAMESPACE = 'kubediag';
export const TARGET = { namespace: 'apps', name: 'gotarget', node: 'worker-1', ip: '10.244.1.17', port: 6060 };
export const CONTROL_PLANE = { node: 'control-plane-1', ip: '192.168.10.2', schedulerAddress: '127.0.0.1:10259' };

export interface JobCluster {
  kube: KubeApiStandIn;
  target: GoTarget;
  svc: RunningService;
  /** POSTs a processor request. */
  profile(body: Record<string, unknown>): Promise<HttpAnswer>;
  /** Starts another service on the same cluster, with extra configuration. */
  service(env?: Record<string, string>): Promise<RunningService>;
  /** The Jobs the service sent, as the API server received them. */
  jobsSent(): KubeObject[];
  /** Waits (briefly: the garbage collector runs just after a Background delete) until no Job and no collector pod is left. */
  nothingLeft(): Promise<{ jobs: string[]; pods: string[] }>;
  stop(): Promise<void>;
}

export async function startJobCluster(env: Record<string, string> = {}, target?: GoTarget): Promise<JobCluster> {
  const goTarget = target ?? (await startGoTarget());
  const kube = await startKubeApi();
  kube.kubelet.addNode(TARGET.node, { ip: '192.168.10.11' });
  kube.kubelet.addNode('worker-2', { ip: '192.168.10.12' });
  kube.kubelet.addNode(CONTROL_PLANE.node, { ip: CONTROL_PLANE.ip });
  kube.kubelet.addImage(IMAGE);
  const local = new URL(goTarget.url).host;
  kube.kubelet.routePod(`${TARGET.ip}:${TARGET.port}`, local);
  kube.kubelet.routeHost(CONTROL_PLANE.node, CONTROL_PLANE.schedulerAddress, local);
  kube.addPod(runningPod(TARGET.namespace, TARGET.name, TARGET.node, TARGET.ip));
  const kubeconfig = kube.writeKubeconfig();
  const config = { COLLECTOR_IMAGE: IMAGE, JOB_NAMESPACE, SECRET_NAMESPACES: JOB_NAMESPACE, ...env };
  const service = (extra: Record<string, string> = {}) => startService({ ...config, ...extra }, kubeProviderFromFile(kubeconfig));
  const svc = await service();
  return {
    kube,
    target: goTarget,
    svc,
    profile: (body) => request(`${svc.url}/processor/goProfiler`, { body }),
    service,
    jobsSent: () => jobCreations(kube.requests).map((r) => JSON.parse(r.body) as KubeObject),
    nothingLeft: () => nothingLeft(kube),
    async stop() {
      await svc.stop();
      await kube.stop();
      if (!target) await goTarget.stop();
    },
  };
}

/** A pod as a cluster holds a running one: scheduled, with an IP and a running container. */
export function runningPod(namespace: string, name: string, node: string, ip: string, container = 'app') {
  return {
    metadata: { name, namespace, labels: { app: name } },
    spec: { nodeName: node, containers: [{ name: container, image: 'gotarget:1', ports: [{ containerPort: 6060 }] }] },
    status: {
      phase: 'Running',
      hostIP: '192.168.10.11',
      podIP: ip,
      podIPs: [{ ip }],
      containerStatuses: [{ name: container, ready: true, restartCount: 0, image: 'gotarget:1', imageID: '', started: true, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }],
    },
  };
}

export function jobCreations(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((r) => r.method === 'POST' && /^\/apis\/batch\/v1\/namespaces\/[^/]+\/jobs$/.test(r.path));
}

async function nothingLeft(kube: KubeApiStandIn): Promise<{ jobs: string[]; pods: string[] }> {
  const collectorPods = () => kube.store.list(PODS).filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'collector');
  for (let waited = 0; waited < 3000 && (kube.store.list(JOBS).length > 0 || collectorPods().length > 0); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const jobs = kube.store.list(JOBS);
  const orphans = jobs.flatMap((job) => dependentsOf(kube.store, job.metadata.namespace as string, job.metadata.uid as string));
  return {
    jobs: jobs.map((j) => j.metadata.name),
    pods: [...new Set([...collectorPods(), ...orphans].map((p) => p.metadata.name))],
  };
}
