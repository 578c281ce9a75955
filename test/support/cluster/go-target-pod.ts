/**
 * The real Go target (test/fixtures/go-target) as a pod (or a workload's pod template) of the test cluster: image `local`, so the node agent runs
 * the binary itself, listening on the pod's own IP (`$(POD_IP)`, from the downward API) as a container would.
 * Ready once the pod is Running and its log (read through the real pods/log) says LISTENING.
 */
import { buildGoTarget } from '../go-target';
import type { TestCluster } from './test-cluster';

export interface GoTargetPodOptions {
  namespace: string;
  name: string;
  node: string;
  port?: number;
  container?: string;
  labels?: Record<string, string>;
  /** A Secret with tls.crt and tls.key, mounted into the pod: the target then serves HTTPS. */
  tlsSecret?: string;
  /** /debug/pprof/ then wants this bearer token. */
  token?: string;
  /** On the node's own network (the pod IP is the node's). */
  hostNetwork?: boolean;
  /** Percent of a core the target's CPU burner takes (default 100): many pods share this machine's two cores. */
  cpuDuty?: number;
  /** The address to listen on instead of the pod IP (127.0.0.1: the node's localhost, with hostNetwork). */
  bind?: string;
}

export interface GoTargetPod {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  port: number;
  /** http(s)://<pod IP>:<port> */
  url: string;
}

const READY_TIMEOUT_MS = 30_000;
// As for the local target: the CPU burner and the block/mutex contention need a moment to show in profiles.
const SETTLE_MS = 1_000;
const TLS_MOUNT = '/etc/go-target/tls';

/** The pod spec of a Go target: the binary as the container's command, listening on the pod IP (or `bind`). */
export function goTargetPodSpec(binary: string, options: Omit<GoTargetPodOptions, 'namespace' | 'name' | 'labels'>) {
  const port = options.port ?? 6060;
  const args = ['-addr', `${options.bind ?? '$(POD_IP)'}:${port}`];
  if (options.tlsSecret) args.push('-tls-cert', `${TLS_MOUNT}/tls.crt`, '-tls-key', `${TLS_MOUNT}/tls.key`);
  if (options.token) args.push('-token', options.token);
  if (options.cpuDuty !== undefined) args.push('-cpu-duty', String(options.cpuDuty));
  return {
    nodeName: options.node,
    automountServiceAccountToken: false,
    ...(options.hostNetwork ? { hostNetwork: true } : {}),
    containers: [
      {
        name: options.container ?? 'app',
        image: 'local',
        command: [binary],
        args,
        env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
        ports: [{ containerPort: port }],
        ...(options.tlsSecret ? { volumeMounts: [{ name: 'tls', mountPath: TLS_MOUNT, readOnly: true }] } : {}),
      },
    ],
    ...(options.tlsSecret ? { volumes: [{ name: 'tls', secret: { secretName: options.tlsSecret } }] } : {}),
  };
}

export async function startGoTargetPod(cluster: TestCluster, options: GoTargetPodOptions): Promise<GoTargetPod> {
  const binary = await buildGoTarget();
  const port = options.port ?? 6060;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: options.name, namespace: options.namespace, labels: { app: options.name, ...options.labels } },
    spec: goTargetPodSpec(binary, options),
  };
  await cluster.apply(JSON.stringify(pod));
  await waitListening(cluster, options.namespace, options.name);
  const ip = options.bind ?? ((await cluster.getJson(['-n', options.namespace, 'get', 'pod', options.name])).status.podIP as string);
  return { namespace: options.namespace, name: options.name, node: options.node, ip, port, url: `${options.tlsSecret ? 'https' : 'http'}://${ip}:${port}` };
}

/** Until the pod is Running and its log (the real pods/log) says LISTENING, then a moment for the profiles to fill. */
export async function waitListening(cluster: TestCluster, namespace: string, name: string): Promise<void> {
  const ns = ['-n', namespace];
  await cluster.kubectl([...ns, 'wait', `pod/${name}`, '--for=jsonpath={.status.phase}=Running', `--timeout=${READY_TIMEOUT_MS / 1000}s`]);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!/^LISTENING /m.test(await cluster.kubectl([...ns, 'logs', name]).catch(() => ''))) {
    if (Date.now() > deadline) throw new Error(`pod ${namespace}/${name} never said LISTENING`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}
