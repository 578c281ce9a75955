/**
 * One pod on this node, from first sight to deletion, as the kubelet's pod
 * worker takes it: Pending (ContainerCreating) while volumes and env are made,
 * Running while the first container's process runs, then Succeeded or Failed
 * (or a restart, for restartPolicy Always/OnFailure). A deletionTimestamp stops
 * the process within its grace period; the terminal status is written and the
 * pod deleted for good, as the kubelet does once its containers are gone.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './api-client';
import { neverRan, restarts, terminatedState } from './container-exit';
import { ContainerLogs, type LogSource } from './container-logs';
import { ContainerProcess, type ProcessExit, type ProcessSpec } from './container-process';
import { processSpec, StartError, type ImageRuntime } from './container-spec';
import { setUpContainer } from './container-setup';
import type { IpPool } from './ip-pool';
import type { PodNetworkHooks } from './pod-network';
import { PodReporter } from './pod-reporter';
import { now, type PodView, type Terminated } from './pod-status';

export interface PodWorkerContext {
  api: ApiClient;
  nodeName: string;
  nodeIp: string;
  collectorImage: string;
  runtime: ImageRuntime;
  stateDir: string;
  ips: IpPool;
  network?: PodNetworkHooks;
  log: (line: string) => void;
}

const RETRY_MS = 2000;
// Deletion waits at most this long for a process, whatever grace the pod asks for: this is a test cluster.
const MAX_GRACE_SECONDS = 5;
const MAX_RESTART_BACKOFF_SECONDS = 10;
const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

export class PodWorker {
  readonly dir: string;
  private readonly abort = new AbortController();
  private readonly reporter: PodReporter;
  private readonly logs: ContainerLogs;
  private readonly view: PodView;
  private readonly running: Promise<void>;
  private readonly allocatedIp?: string;
  private process?: ContainerProcess;
  private ending?: Promise<void>;
  private deleted?: Promise<void>;
  private deadline?: NodeJS.Timeout;

  constructor(private readonly ctx: PodWorkerContext, private pod: any) {
    this.dir = path.join(ctx.stateDir, pod.metadata.uid);
    this.reporter = new PodReporter(ctx.api, ctx.nodeName, () => this.pod, ctx.log);
    const container = pod.spec.containers[0];
    this.logs = new ContainerLogs(path.join(this.dir, 'logs', container.name));
    if (!pod.spec.hostNetwork) this.allocatedIp = ctx.ips.allocate();
    this.view = {
      phase: 'Pending',
      hostIP: ctx.nodeIp,
      podIP: this.allocatedIp ?? ctx.nodeIp,
      startTime: pod.status?.startTime ?? now(),
      container: { name: container.name, image: container.image, state: { waiting: { reason: 'ContainerCreating' } }, restartCount: 0 },
    };
    this.running = this.run().catch((error: Error) => {
      if (!this.abort.signal.aborted) ctx.log(`pod ${this.key}: ${error.message}`);
    });
    if (pod.metadata.deletionTimestamp) this.end({ delete: true });
  }

  get key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  /** The container this agent runs: the first. */
  get containerName(): string {
    return this.view.container.name;
  }

  get specContainers(): string[] {
    return this.pod.spec.containers.map((c: { name: string }) => c.name);
  }

  /** A newer version of the pod from the watch. */
  update(pod: any): void {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp) this.end({ delete: true });
  }

  /** The pod is gone from the API: stop whatever still runs, then free its address and folder. */
  async gone(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.deadline);
    await this.process?.stop(0);
    await this.running;
    if (this.allocatedIp) {
      await this.ctx.network?.removeAddress(this.allocatedIp);
      this.ctx.ips.release(this.allocatedIp);
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The agent stops: processes end, API objects stay as they are. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.deadline);
    await this.process?.stop(MAX_GRACE_SECONDS * 1000);
  }

  /** The log pods/log asks for, or the kubelet's reason why there is none. */
  logSource(previous: boolean): LogSource | string {
    const { name, state } = this.view.container;
    const pod = this.pod.metadata.name;
    // Waiting to restart, the last instance is both the current and the previous one, as for the kubelet.
    const source = previous && !('waiting' in state) ? this.logs.previous() : this.logs.current();
    if (source) return source;
    if (previous) return `previous terminated container "${name}" in pod "${pod}" not found`;
    const reason = 'waiting' in state ? state.waiting.reason : 'ContainerCreating';
    const why = reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason;
    return `container "${name}" in pod "${pod}" is waiting to start: ${why}`;
  }

  /** A pod with a network of its own runs there; a host-network pod runs on the node's (this machine's) network. */
  private inPodNetwork(spec: ProcessSpec): ProcessSpec {
    if (!this.ctx.network || this.pod.spec.hostNetwork) return spec;
    const wrapped = this.ctx.network.wrap(spec.file, spec.args);
    return { ...spec, file: wrapped.command, args: wrapped.args };
  }

  private async run(): Promise<void> {
    const { signal } = this.abort;
    await mkdir(path.join(this.dir, 'home'), { recursive: true });
    // The address exists before anything can report it (as a CNI sets the sandbox up before the pod is Running).
    if (this.allocatedIp) await this.ctx.network?.addAddress(this.allocatedIp);
    if (signal.aborted) return;
    this.armDeadline();
    await this.write();
    const context = await setUpContainer(this.pod, {
      api: this.ctx.api,
      collectorImage: this.ctx.collectorImage,
      runtime: this.ctx.runtime,
      addresses: { podIP: this.view.podIP as string, hostIP: this.ctx.nodeIp },
      dir: this.dir,
      signal,
      event: (type, reason, message) => this.reporter.event(type, reason, message),
      waiting: (reason, message, failed) => this.setWaiting(reason, message, failed),
      retry: (reason, eventReason, step) => this.retry(reason, eventReason, step),
    });
    if (!context) return;
    const container = this.pod.spec.containers[0];
    for (;;) {
      if (signal.aborted) return;
      const log = this.logs.start(this.view.container.restartCount);
      const startedAt = now();
      let exit: ProcessExit;
      try {
        this.process = new ContainerProcess(this.inPodNetwork(processSpec(container, context)), log);
        this.reporter.event('Normal', 'Created', `Created container: ${container.name}`);
        if (this.process.pid !== undefined) await this.setRunning(this.process.pid, startedAt);
        exit = await this.process.exited;
      } catch (error) {
        if (!(error instanceof StartError)) throw error;
        log.close();
        this.view.container.pid = undefined;
        exit = { exitCode: 128, startError: error.message };
      }
      if (exit.startError) this.reporter.event('Warning', 'Failed', `Error: ${exit.startError}`);
      this.process = undefined;
      // Stopped by deletion or the deadline: end() writes what follows.
      if (signal.aborted) return;
      const terminated = await this.terminated(exit, startedAt, log.file);
      if (!restarts(this.pod.spec.restartPolicy, exit.exitCode)) {
        await this.finish(terminated);
        return;
      }
      const backoff = Math.min(2 ** this.view.container.restartCount, MAX_RESTART_BACKOFF_SECONDS);
      this.view.container.lastState = { terminated };
      const message = `back-off ${backoff}s restarting failed container=${container.name} pod=${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})`;
      this.reporter.event('Warning', 'BackOff', `Back-off restarting failed container ${container.name} in pod ${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})`);
      await this.setWaiting('CrashLoopBackOff', message);
      await sleep(backoff * 1000, undefined, { signal });
      this.view.container.restartCount++;
    }
  }

  /** Stops the pod for its active deadline, or for deletion (then deletes it, also when it stopped for the deadline). */
  private end(how: { delete: boolean; reason?: string; message?: string }): void {
    this.ending ??= (async () => {
      this.abort.abort();
      clearTimeout(this.deadline);
      const { state } = this.view.container;
      const grace = Math.min(this.pod.metadata.deletionGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30, MAX_GRACE_SECONDS);
      if (this.process) this.reporter.event('Normal', 'Killing', `Stopping container ${this.view.container.name}`);
      const exit = await this.process?.stop(grace * 1000);
      await this.running;
      if (this.view.phase !== 'Succeeded' && this.view.phase !== 'Failed') {
        const startedAt = 'running' in state ? state.running.startedAt : undefined;
        const last = this.view.container.lastState;
        const terminated: Terminated = exit
          ? await this.terminated(exit, startedAt, this.logs.current()?.file)
          : last && 'terminated' in last
            ? last.terminated
            : neverRan();
        if (how.reason) {
          Object.assign(this.view, { reason: how.reason, message: how.message });
          this.reporter.event('Normal', how.reason, how.message ?? '');
        }
        await this.finish(terminated);
      }
    })().catch((error: Error) => this.ctx.log(`pod ${this.key}: stopping: ${error.message}`));
    if (how.delete) this.deleted ??= this.ending.then(() => this.reporter.delete());
  }

  private armDeadline(): void {
    const seconds = this.pod.spec.activeDeadlineSeconds;
    if (seconds === undefined) return;
    const left = Date.parse(this.view.startTime) + seconds * 1000 - Date.now();
    this.deadline = setTimeout(() => this.end({ delete: false, reason: 'DeadlineExceeded', message: DEADLINE_MESSAGE }), Math.max(0, left));
  }

  private terminated(exit: ProcessExit, startedAt: string | undefined, logFile: string | undefined): Promise<Terminated> {
    const fallbackToLogs = this.pod.spec.containers[0].terminationMessagePolicy === 'FallbackToLogsOnError';
    return terminatedState(exit, { startedAt, logFile, fallbackToLogs, pid: this.view.container.pid });
  }

  private finish(terminated: Terminated): Promise<void> {
    this.view.phase = terminated.exitCode === 0 ? 'Succeeded' : 'Failed';
    this.view.container.state = { terminated };
    clearTimeout(this.deadline);
    return this.write();
  }

  private setRunning(pid: number, startedAt: string): Promise<void> {
    this.reporter.event('Normal', 'Started', `Started container ${this.view.container.name}`);
    Object.assign(this.view.container, { pid, state: { running: { startedAt } } });
    this.view.phase = 'Running';
    return this.write();
  }

  /** failed: also the kubelet's Warning Failed "Error: <reason>" Event. */
  private setWaiting(reason: string, message?: string, failed = false): Promise<void> {
    const { state } = this.view.container;
    if ('waiting' in state && state.waiting.reason === reason && state.waiting.message === message) return this.reporter.settled();
    if (failed) this.reporter.event('Warning', 'Failed', `Error: ${reason}`);
    this.view.container.state = { waiting: { reason, ...(message ? { message } : {}) } };
    return this.write();
  }

  /** Retries a step that needs objects which may not exist yet, waiting with the kubelet's reason and Event meanwhile. */
  private async retry<T>(reason: string, eventReason: string, step: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await step();
      } catch (error) {
        if (this.abort.signal.aborted) throw error;
        const { message } = error as Error;
        const { state } = this.view.container;
        if (!('waiting' in state && state.waiting.message === message)) {
          this.reporter.event('Warning', eventReason, eventReason === 'Failed' ? `Error: ${message}` : message);
        }
        await this.setWaiting(reason, message);
        await sleep(RETRY_MS, undefined, { signal: this.abort.signal });
      }
    }
  }

  private write(): Promise<void> {
    return this.reporter.write(this.view);
  }
}
