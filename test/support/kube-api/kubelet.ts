/**
 * The node side of the stand-in: a kubelet for every registered node. It
 * picks up pods bound to its nodes (spec.nodeName) that have not started yet,
 * and moves them through the states a real kubelet reports:
 * Pending/ContainerCreating -> Running -> Succeeded|Failed, with container
 * statuses, pod and host IPs, and a FallbackToLogsOnError termination message.
 * The container really runs (container-runtime.ts); its output is the pod log.
 *
 * What tests arrange instead of a real cluster:
 * - images: only registered images pull (optionally slowly); any other image
 *   goes ErrImagePull -> ImagePullBackOff, as with a missing tag;
 * - nodes: a node may be marked unschedulable, which shows as the pod
 *   condition PodScheduled=False/Unschedulable;
 * - the network: routePod() makes "podIP:port" reachable from every pod (and
 *   the API server's proxy); routeHost() makes an address reachable only from
 *   host-network pods on one node (a component bound to the node's localhost).
 * - the log: containerLogMaxSize rotates it as the kubelet does (the API serves
 *   only the current file); `tamper` alters what is served, as a faulty disk would.
 * Pods already Running when seeded (the profiling targets) are left alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ContainerProcess, type ImageRuntime, type LogRecord } from './container-runtime';
import { PODS, SECRETS } from './resources';
import type { KubeObject, ObjectStore, StoreEvent } from './store';

interface NodeState {
  ip: string;
  index: number;
  unschedulable?: string;
}

/** One pod this kubelet runs (single container, as collector Jobs are). */
interface PodRun {
  uid: string;
  container?: ContainerProcess;
  waiting?: { reason: string; message?: string };
  dirs: string[];
  stopped: boolean;
}

const SECRET_RETRY_MS = 200;
const POD_IP_BASE = '10.244';
/** Where an address with nothing routed behind it leads: a closed local port (connection refused). */
// Port 2: privileged (nothing in a test binds it) and not on fetch's blocked-port list, unlike 1.
const NOTHING_LISTENS = '127.0.0.1:2';
const URL_ADDRESS = /\/\/(\[[^\]]+\]:\d+|[^/\s:@]+:\d+)/g;

export class Kubelet {
  /** kubelet's containerLogMaxSize, in bytes of CRI log ("<time> <stream> F <line>\n" per line); default 10 MiB. */
  containerLogMaxSize = 10 * 1024 * 1024;
  /** A fault to inject into the log as served; none by default. */
  tamper?: (log: LogRecord[]) => LogRecord[];
  private readonly nodes = new Map<string, NodeState>();
  private readonly images = new Map<string, number>();
  private readonly podRoutes = new Map<string, string>();
  private readonly hostRoutes = new Map<string, Map<string, string>>();
  private readonly runs = new Map<string, PodRun>();
  private nextHost = 2;
  private readonly onChange = (e: StoreEvent) => this.observe(e);

  constructor(private readonly store: ObjectStore, private readonly runtime: ImageRuntime) {
    store.events.on('change', this.onChange);
  }

  addNode(name: string, options: { ip: string; unschedulable?: string }): void {
    this.nodes.set(name, { ip: options.ip, index: this.nodes.size + 1, unschedulable: options.unschedulable });
  }

  /** An image the registry has; pulling it takes pullMs. */
  addImage(image: string, pullMs = 0): void {
    this.images.set(image, pullMs);
  }

  routePod(address: string, to: string): void {
    this.podRoutes.set(address, to);
  }

  routeHost(node: string, address: string, to: string): void {
    if (!this.hostRoutes.has(node)) this.hostRoutes.set(node, new Map());
    this.hostRoutes.get(node)?.set(address, to);
  }

  /** Where "host:port" really is, from the API server (pod network only) or from a host-network pod on `node`. */
  reach(address: string, from: { node?: string; hostNetwork?: boolean } = {}): string | undefined {
    const local = from.hostNetwork && from.node ? this.hostRoutes.get(from.node)?.get(address) : undefined;
    return local ?? this.podRoutes.get(address);
  }

  /** The collector's log and state, for pods/log. */
  containerLog(pod: KubeObject): { log: LogRecord[]; waiting?: PodRun['waiting']; process?: ContainerProcess } | undefined {
    const run = this.runs.get(pod.metadata.uid as string);
    if (!run) return undefined;
    const log = currentLogFile(run.container?.log ?? [], this.containerLogMaxSize);
    return { log: this.tamper ? this.tamper(log) : log, waiting: run.container ? undefined : run.waiting, process: run.container };
  }

  stop(): void {
    this.store.events.off('change', this.onChange);
    for (const run of this.runs.values()) this.end(run);
  }

  private observe(e: StoreEvent): void {
    if (e.resource !== PODS) return;
    const uid = e.object.metadata.uid as string;
    if (e.type === 'DELETED') {
      const run = this.runs.get(uid);
      if (run) this.end(run);
      return;
    }
    const spec = e.object.spec as { nodeName?: string };
    const status = e.object.status as { phase?: string; containerStatuses?: unknown[] } | undefined;
    const fresh = (status?.phase ?? 'Pending') === 'Pending' && !status?.containerStatuses;
    if (this.runs.has(uid) || !fresh || !spec.nodeName || !this.nodes.has(spec.nodeName)) return;
    const run: PodRun = { uid, dirs: [], stopped: false };
    this.runs.set(uid, run);
    void this.start(e.object, run).catch((error: Error) => this.setWaiting(e.object, run, 'RunContainerError', error.message));
  }

  private async start(pod: KubeObject, run: PodRun): Promise<void> {
    // Not inside the store's emit: every watcher must see the pod's ADDED before any change the kubelet makes.
    await new Promise((resolve) => setImmediate(resolve));
    const spec = pod.spec as any;
    const node = this.nodes.get(spec.nodeName) as NodeState;
    if (node.unschedulable) {
      this.update(pod, () => ({
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: node.unschedulable }],
      }));
      return;
    }
    // From .100 up, so they never meet the targets tests seed lower in the range.
    const podIP = spec.hostNetwork ? node.ip : `${POD_IP_BASE}.${node.index}.${100 + (this.nextHost++ % 150)}`;
    this.update(pod, () => ({ phase: 'Pending', hostIP: node.ip, podIP, podIPs: [{ ip: podIP }], startTime: now(), conditions: [condition('PodScheduled')] }));
    this.setWaiting(pod, run, 'ContainerCreating');
    const container = spec.containers[0];
    if (!(await this.pull(pod, run, container.image))) return;
    const mounts = await this.mountSecrets(pod, run);
    if (!mounts || run.stopped) return;
    const addresses = new Map([...this.podRoutes, ...(spec.hostNetwork ? (this.hostRoutes.get(spec.nodeName) ?? []) : [])]);
    // This machine's network must not answer for the cluster's: whatever is not routed refuses connections
    // (in a pod that is not on the host network, 127.0.0.1 is the pod's own loopback, where nothing listens).
    for (const [, address] of (container.args ?? []).join(' ').matchAll(URL_ADDRESS)) {
      if (!addresses.has(address)) addresses.set(address, NOTHING_LISTENS);
    }
    const env = { PATH: process.env.PATH ?? '', HOSTNAME: spec.hostNetwork ? spec.nodeName : pod.metadata.name };
    run.container = new ContainerProcess({ command: container.command ?? [], args: container.args ?? [], mounts, addresses, env }, this.runtime);
    const startedAt = now();
    this.update(pod, () => ({ phase: 'Running', conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => condition(type)), containerStatuses: [containerStatus(container, { running: { startedAt } })] }));
    run.container.once('exit', (exitCode: number) => this.finish(pod, run, exitCode, startedAt));
  }

  private async pull(pod: KubeObject, run: PodRun, image: string): Promise<boolean> {
    const pullMs = this.images.get(image);
    if (pullMs === undefined) {
      await delay(30);
      this.setWaiting(pod, run, 'ErrImagePull', `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`);
      await delay(60);
      this.setWaiting(pod, run, 'ImagePullBackOff', `Back-off pulling image "${image}"`);
      return false;
    }
    await delay(pullMs);
    return !run.stopped;
  }

  /** Secret volumes as files; a Secret that does not exist (yet) keeps the pod in ContainerCreating, as FailedMount does. */
  private async mountSecrets(pod: KubeObject, run: PodRun): Promise<Map<string, string> | undefined> {
    const spec = pod.spec as any;
    const mounts = new Map<string, string>();
    for (const mount of spec.containers[0].volumeMounts ?? []) {
      const volume = (spec.volumes ?? []).find((v: any) => v.name === mount.name);
      if (!volume?.secret) continue;
      let secret = this.store.get(SECRETS, pod.metadata.namespace, volume.secret.secretName);
      while (!secret && !run.stopped) {
        await delay(SECRET_RETRY_MS);
        secret = this.store.get(SECRETS, pod.metadata.namespace, volume.secret.secretName);
      }
      if (!secret) return undefined;
      const dir = mkdtempSync(path.join(tmpdir(), 'kubelet-volume-'));
      run.dirs.push(dir);
      for (const [key, value] of Object.entries(secret.data as Record<string, string>)) {
        writeFileSync(path.join(dir, key), Buffer.from(value, 'base64'), { mode: volume.secret.defaultMode ?? 0o644 });
      }
      mounts.set(mount.mountPath, dir);
    }
    return mounts;
  }

  private finish(pod: KubeObject, run: PodRun, exitCode: number, startedAt: string): void {
    const container = (pod.spec as any).containers[0];
    const failed = exitCode !== 0;
    const message = failed && container.terminationMessagePolicy === 'FallbackToLogsOnError' ? tail(run.container?.log ?? []) : undefined;
    const terminated = { exitCode, reason: failed ? 'Error' : 'Completed', ...(message ? { message } : {}), startedAt, finishedAt: now() };
    this.update(pod, () => ({
      phase: failed ? 'Failed' : 'Succeeded',
      conditions: [condition('PodScheduled'), condition('Initialized'), condition('ContainersReady', 'False'), condition('Ready', 'False')],
      containerStatuses: [containerStatus(container, { terminated })],
    }));
    this.cleanUp(run);
  }

  private setWaiting(pod: KubeObject, run: PodRun, reason: string, message?: string): void {
    run.waiting = { reason, message };
    const container = (pod.spec as any).containers[0];
    this.update(pod, () => ({ containerStatuses: [containerStatus(container, { waiting: { reason, ...(message ? { message } : {}) } })] }));
  }

  /** Applies a status change to the pod as it is now; a pod deleted meanwhile is left alone. */
  private update(pod: KubeObject, change: () => Record<string, unknown>): void {
    const current = this.store.get(PODS, pod.metadata.namespace, pod.metadata.name);
    if (!current || current.metadata.uid !== pod.metadata.uid) return;
    this.store.update(PODS, { ...current, status: { ...(current.status as object), ...change() } });
  }

  private end(run: PodRun): void {
    run.stopped = true;
    run.container?.kill();
    this.cleanUp(run);
  }

  private cleanUp(run: PodRun): void {
    for (const dir of run.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** The records of the log file being written now: each time the file passes maxSize, a new one begins. */
function currentLogFile(log: LogRecord[], maxSize: number): LogRecord[] {
  let start = 0;
  let size = 0;
  log.forEach((record, index) => {
    size += Buffer.byteLength(`${record.time} ${record.stream} F ${record.text}\n`);
    if (size > maxSize) {
      start = index + 1;
      size = 0;
    }
  });
  return log.slice(start);
}

function containerStatus(container: { name: string; image: string }, state: Record<string, unknown>) {
  const running = 'running' in state;
  return { name: container.name, state, ready: running, restartCount: 0, image: container.image, imageID: '', started: running };
}

function condition(type: string, status = 'True') {
  return { type, status, lastProbeTime: null, lastTransitionTime: now() };
}

/** kubelet's FallbackToLogsOnError: the last 80 lines, at most 2048 bytes. */
function tail(log: LogRecord[]): string {
  const text = log.slice(-80).map((l) => l.text).join('\n');
  return Buffer.from(text).subarray(-2048).toString('utf8');
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
