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
import { ApiError, MERGE_PATCH, type ApiClient } from './api-client';
import { containerEnv } from './container-env';
import { ContainerLogs, terminationMessage, type LogSource } from './container-logs';
import { ContainerProcess, type ProcessExit } from './container-process';
import { imageKind, processSpec, StartError, type ImageRuntime } from './container-spec';
import { pullBackOffMessage, pullErrorMessage } from './image-pull';
import type { IpPool } from './ip-pool';
import { PodObjects } from './pod-objects';
import { containerID, now, PodStatusBuilder, type PodView, type Terminated } from './pod-status';
import { materialiseVolumes } from './volumes';

export interface PodWorkerContext {
  api: ApiClient;
  nodeIp: string;
  collectorImage: string;
  runtime: ImageRuntime;
  stateDir: string;
  ips: IpPool;
  log: (line: string) => void;
}

const RETRY_MS = 2000;
const PULL_MS = 200;
const PULL_BACKOFF_MS = 1500;
// Deletion waits at most this long for a process, whatever grace the pod asks for: this is a test cluster.
const MAX_GRACE_SECONDS = 5;
const MAX_RESTART_BACKOFF_SECONDS = 10;
const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

export class PodWorker {
  readonly dir: string;
  private readonly abort = new AbortController();
  private readonly status = new PodStatusBuilder();
  private readonly logs: ContainerLogs;
  private readonly view: PodView;
  private readonly running: Promise<void>;
  private readonly allocatedIp?: string;
  private process?: ContainerProcess;
  private writes = Promise.resolve();
  private ending?: Promise<void>;
  private deadline?: NodeJS.Timeout;

  constructor(private readonly ctx: PodWorkerContext, private pod: any) {
    this.dir = path.join(ctx.stateDir, pod.metadata.uid);
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
    if (pod.metadata.deletionTimestamp) void this.end({ delete: true });
  }

  get key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  get containerName(): string {
    return this.view.container.name;
  }

  /** A newer version of the pod from the watch. */
  update(pod: any): void {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp) void this.end({ delete: true });
  }

  /** The pod is gone from the API: stop whatever still runs, then free its address and folder. */
  async gone(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.deadline);
    await this.process?.stop(0);
    await this.running;
    if (this.allocatedIp) this.ctx.ips.release(this.allocatedIp);
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
    const source = previous ? this.logs.previous() : this.logs.current();
    if (source) return source;
    if (previous) return `previous terminated container "${name}" in pod "${pod}" not found`;
    const reason = 'waiting' in state ? state.waiting.reason : 'ContainerCreating';
    const why = reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason;
    return `container "${name}" in pod "${pod}" is waiting to start: ${why}`;
  }

  private async run(): Promise<void> {
    const { signal } = this.abort;
    await mkdir(path.join(this.dir, 'home'), { recursive: true });
    if (signal.aborted) return;
    this.armDeadline();
    await this.write();
    const container = this.pod.spec.containers[0];
    const kind = imageKind(container.image, this.ctx.collectorImage);
    if (kind === 'unavailable') {
      await sleep(PULL_MS, undefined, { signal });
      await this.setWaiting('ErrImagePull', pullErrorMessage(container.image));
      await sleep(PULL_BACKOFF_MS, undefined, { signal });
      await this.setWaiting('ImagePullBackOff', pullBackOffMessage(container.image));
      return;
    }
    const objects = new PodObjects(this.ctx.api, this.pod);
    const addresses = { podIP: this.view.podIP as string, hostIP: this.ctx.nodeIp };
    const folders = await this.retry('ContainerCreating', () => materialiseVolumes(this.pod, objects, addresses, path.join(this.dir, 'volumes')));
    const env = await this.retry('CreateContainerConfigError', () => containerEnv(this.pod, container, objects, addresses));
    const mounts = new Map<string, string>();
    for (const mount of container.volumeMounts ?? []) {
      const folder = folders.get(mount.name);
      if (folder) mounts.set(mount.mountPath, path.join(folder, mount.subPath ?? ''));
    }
    const context = {
      kind, runtime: this.ctx.runtime, env, mounts,
      home: path.join(this.dir, 'home'),
      hostname: this.pod.spec.hostNetwork ? this.pod.spec.nodeName : this.pod.metadata.name,
    };
    for (;;) {
      if (signal.aborted) return;
      const log = this.logs.start(this.view.container.restartCount);
      const startedAt = now();
      let exit: ProcessExit;
      try {
        this.process = new ContainerProcess(processSpec(container, context), log);
        if (this.process.pid !== undefined) await this.setRunning(this.process.pid, startedAt);
        exit = await this.process.exited;
      } catch (error) {
        if (!(error instanceof StartError)) throw error;
        log.close();
        exit = { exitCode: 128, startError: error.message };
      }
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
      await this.setWaiting('CrashLoopBackOff', message);
      await sleep(backoff * 1000, undefined, { signal });
      this.view.container.restartCount++;
    }
  }

  /** Stops the pod for deletion (then deletes it) or for its active deadline. */
  private end(how: { delete: boolean; reason?: string; message?: string }): Promise<void> {
    this.ending ??= (async () => {
      this.abort.abort();
      clearTimeout(this.deadline);
      const { state } = this.view.container;
      const grace = Math.min(this.pod.metadata.deletionGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30, MAX_GRACE_SECONDS);
      const exit = await this.process?.stop(grace * 1000);
      await this.running;
      if (this.view.phase !== 'Succeeded' && this.view.phase !== 'Failed') {
        const startedAt = 'running' in state ? state.running.startedAt : undefined;
        const last = this.view.container.lastState;
        const terminated: Terminated = exit
          ? await this.terminated(exit, startedAt, this.logs.current()?.file)
          : last && 'terminated' in last
            ? last.terminated
            : { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: now() };
        if (how.reason) Object.assign(this.view, { reason: how.reason, message: how.message });
        await this.finish(terminated);
      }
      if (how.delete) await this.delete();
    })().catch((error: Error) => this.ctx.log(`pod ${this.key}: stopping: ${error.message}`));
    return this.ending;
  }

  private armDeadline(): void {
    const seconds = this.pod.spec.activeDeadlineSeconds;
    if (seconds === undefined) return;
    const left = Date.parse(this.view.startTime) + seconds * 1000 - Date.now();
    this.deadline = setTimeout(() => void this.end({ delete: false, reason: 'DeadlineExceeded', message: DEADLINE_MESSAGE }), Math.max(0, left));
  }

  private async terminated(exit: ProcessExit, startedAt: string | undefined, logFile: string | undefined): Promise<Terminated> {
    const { exitCode, startError } = exit;
    const fromLog = exitCode !== 0 && !startError && logFile && this.pod.spec.containers[0].terminationMessagePolicy === 'FallbackToLogsOnError';
    const message = startError ?? (fromLog ? await terminationMessage(logFile) : undefined);
    return {
      exitCode,
      reason: startError ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error',
      ...(message ? { message } : {}),
      // A container that never started has the zero time, as the kubelet reports it.
      startedAt: startError ? '1970-01-01T00:00:00Z' : startedAt,
      finishedAt: now(),
      ...(this.view.container.pid === undefined ? {} : { containerID: containerID(this.view.container.pid) }),
    };
  }

  private finish(terminated: Terminated): Promise<void> {
    this.view.phase = terminated.exitCode === 0 ? 'Succeeded' : 'Failed';
    this.view.container.state = { terminated };
    clearTimeout(this.deadline);
    return this.write();
  }

  private setRunning(pid: number, startedAt: string): Promise<void> {
    Object.assign(this.view.container, { pid, state: { running: { startedAt } } });
    this.view.phase = 'Running';
    return this.write();
  }

  private setWaiting(reason: string, message?: string): Promise<void> {
    const { state } = this.view.container;
    if ('waiting' in state && state.waiting.reason === reason && state.waiting.message === message) return this.writes;
    this.view.container.state = { waiting: { reason, ...(message ? { message } : {}) } };
    return this.write();
  }

  /** Retries a step that needs objects which may not exist yet, waiting with the kubelet's reason meanwhile. */
  private async retry<T>(reason: string, step: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await step();
      } catch (error) {
        if (this.abort.signal.aborted) throw error;
        await this.setWaiting(reason, (error as Error).message);
        await sleep(RETRY_MS, undefined, { signal: this.abort.signal });
      }
    }
  }

  /** Writes the status as the view is now; writes go out in order, one at a time. */
  private write(): Promise<void> {
    const { namespace, name, uid } = this.pod.metadata;
    // The uid makes the patch fail on a newer pod of the same name, as the kubelet's precondition does.
    const body = { metadata: { uid }, status: this.status.build(this.view, this.pod.status?.conditions) };
    this.writes = this.writes
      .then(() => this.ctx.api.request('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, body, MERGE_PATCH))
      .then(() => undefined, (error: Error) => this.ignoreGone(error, 'writing status'));
    return this.writes;
  }

  private async delete(): Promise<void> {
    const { namespace, name, uid } = this.pod.metadata;
    const options = { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } };
    await this.ctx.api.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, options).catch((error: Error) => this.ignoreGone(error, 'deleting'));
  }

  /** A pod deleted (or replaced) meanwhile is no error: there is nothing left to report to. */
  private ignoreGone(error: Error, what: string): void {
    if (error instanceof ApiError && [404, 409, 422].includes(error.status)) return;
    this.ctx.log(`pod ${this.key}: ${what}: ${error.message}`);
  }
}

function restarts(policy: string | undefined, exitCode: number): boolean {
  return policy === 'Always' || policy === undefined || (policy === 'OnFailure' && exitCode !== 0);
}
