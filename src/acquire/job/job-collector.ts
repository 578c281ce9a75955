import crypto from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { abortable } from '../../abortable';
import { CancelledError, CapacityError, InputError, UpstreamError } from '../../errors';
import type { Config } from '../../config';
import { Logger } from '../../log';
import { PodTarget } from '../../parameters/collector';
import { ProfileRequest } from '../../parameters/parse';
import { KEYS } from '../../parameters/schema';
import { AddressPolicy } from '../address-policy';
import type { AcquiredProfile } from '../acquire-profile';
import { describeKubeError, KubeClients, KubeProvider } from '../kube/clients';
import { locateTargetPod, podProfileUrl } from '../target-pod';
import { bounded, NoAnswerError } from './bounded';
import { followJob } from './follow-job';
import { profileFromLog } from './job-log';
import { buildCollectorJob, JobPlan } from './job-spec';

export interface JobCollectorOptions {
  kube: KubeProvider;
  log: Logger;
  collectorImage?: string;
  namespace: string;
  fetchTimeoutSeconds: number;
  deadlineMarginSeconds: number;
  ttlSeconds: number;
  maxProfileBytes: number;
  /** The Jobs' name prefix (default go-profiler): go-profiler-heap-1a2b3c4d. */
  jobNamePrefix?: string;
  /** Leave each Job after it ends (for a look at it), to ttlSecondsAfterFinished. Default: delete it. */
  keepJobs?: boolean;
  /** What a command line tells a person while it waits. */
  progress?: (event: CollectorProgress) => void;
}

/** A collection's steps, as they happen. */
export type CollectorProgress =
  | { step: 'job-created'; job: string; node: string }
  | { step: 'pod'; job: string; pod: string; phase: string; node?: string; reason?: string }
  | { step: 'collected'; job: string; bytes: number }
  | { step: 'job-deleted'; job: string }
  | { step: 'job-kept'; job: string };

/** The options the service's configuration gives (COLLECTOR_IMAGE, JOB_NAMESPACE, JOB_* limits). */
export function jobCollectorOptions(config: Config, kube: KubeProvider, log: Logger): JobCollectorOptions {
  return {
    kube,
    log,
    collectorImage: config.collectorImage,
    namespace: config.jobNamespace,
    fetchTimeoutSeconds: config.fetchTimeoutSeconds,
    deadlineMarginSeconds: config.jobDeadlineMarginSeconds,
    ttlSeconds: config.jobTtlSeconds,
    maxProfileBytes: config.jobMaxProfileBytes,
  };
}

/** The limits the http collector applies, applied to what a Job would fetch and mount. */
export interface JobAccess {
  policy: AddressPolicy;
  /** SECRET_NAMESPACES: a Job may only mount a Secret the service itself would be allowed to read. */
  secretNamespaces: string[];
}

/** After activeDeadlineSeconds the Job controller fails the Job; this long after, the service stops waiting itself. */
const CONTROLLER_GRACE_SECONDS = 15;
const API_CALL_TIMEOUT_MS = 15_000;
// About a minute of retries (1, 2, 4, 8, then 10 s apart) for an API server that is away.
const DELETE_ATTEMPTS = 8;
const DELETE_RETRY_MAX_MS = 10_000;
const SHUTTING_DOWN = 'the service is shutting down: the collection was stopped and its Job deleted';
const EVERYONE_LEFT = 'every caller waiting for this collection hung up: its Job is deleted';

/** One Job's collection and how many callers still wait for it. */
interface SharedRun {
  result: Promise<AcquiredProfile>;
  controller: AbortController;
  waiting: number;
}

/**
 * Collects profiles with short Jobs on the target's node. It owns every Job it creates: each is deleted when its
 * request ends, however it ends, and close() ends them all. Requests for the same target and profile type share
 * one Job.
 */
export class JobCollector {
  private readonly shared = new Map<string, SharedRun>();
  private readonly running = new Set<AbortController>();
  private closed = false;

  constructor(private readonly options: JobCollectorOptions) {}

  /** signal: this caller hung up. The Job goes on while another caller waits for it, and is deleted when none does. */
  collect(request: ProfileRequest, access: JobAccess, signal?: AbortSignal): Promise<AcquiredProfile> {
    if (this.closed) return Promise.reject(new CapacityError('the service is shutting down', 5));
    const key = targetKey(request);
    let run = this.shared.get(key);
    // A run whose callers all left is being stopped: a new caller gets a Job of its own.
    if (run && !run.controller.signal.aborted) {
      this.options.log.info({ target: key }, 'joining the collector Job already running for this target');
    } else {
      const controller = new AbortController();
      const started: SharedRun = { result: this.run(request, access, controller), controller, waiting: 0 };
      void started.result.catch(() => undefined).then(() => this.shared.get(key) === started && this.shared.delete(key));
      this.shared.set(key, started);
      run = started;
    }
    const shared = run;
    shared.waiting++;
    const leave = () => {
      if (--shared.waiting === 0) shared.controller.abort(new CancelledError(EVERYONE_LEFT));
    };
    signal?.addEventListener('abort', leave, { once: true });
    return abortable(shared.result, signal).finally(() => signal?.removeEventListener('abort', leave));
  }

  /** Ends every collection at once and waits until their Jobs are deleted. */
  async close(): Promise<void> {
    this.closed = true;
    for (const controller of this.running) controller.abort(new CapacityError(SHUTTING_DOWN, 5));
    await Promise.allSettled([...this.shared.values()].map((run) => run.result));
  }

  private async run(request: ProfileRequest, access: JobAccess, controller: AbortController): Promise<AcquiredProfile> {
    this.running.add(controller);
    try {
      const clients = this.options.kube.clients();
      const plan = await this.plan(request);
      checkAccess(plan, access);
      // close() may have come while the pod was looked up: then no Job is made at all.
      if (controller.signal.aborted) throw controller.signal.reason;
      return await this.collectWith(clients, plan, controller.signal);
    } finally {
      this.running.delete(controller);
    }
  }

  /** Creates the Job, waits for its verdict, reads the profile from its log; deletes the Job whatever happens. */
  private async collectWith(clients: KubeClients, plan: JobPlan, signal: AbortSignal): Promise<AcquiredProfile> {
    let created = false;
    try {
      await this.create(clients, plan).catch((error: unknown) => {
        // A create that did not answer in time may still have happened: delete it to be sure (404 is fine).
        created = error instanceof NoAnswerError;
        throw error;
      });
      created = true;
      if (signal.aborted) throw signal.reason;
      const finished = await followJob({
        clients,
        namespace: plan.namespace,
        job: plan.name,
        deadline: Date.now() + (plan.activeDeadlineSeconds + CONTROLLER_GRACE_SECONDS) * 1000,
        signal,
        onPod: this.options.progress && podProgress(`${plan.namespace}/${plan.name}`, this.options.progress),
      });
      const options = { clients, namespace: plan.namespace, maxProfileBytes: plan.maxProfileBytes, timeoutMs: API_CALL_TIMEOUT_MS };
      const bytes = await profileFromLog(finished, options);
      this.options.progress?.({ step: 'collected', job: `${plan.namespace}/${plan.name}`, bytes: bytes.length });
      return { bytes, contentType: 'application/octet-stream', url: plan.url };
    } catch (error) {
      if (error instanceof CapacityError || error instanceof CancelledError) throw error;
      throw new UpstreamError(`collecting with Job ${plan.namespace}/${plan.name} on node ${plan.node}: ${(error as Error).message}`);
    } finally {
      if (created && this.options.keepJobs) this.options.progress?.({ step: 'job-kept', job: `${plan.namespace}/${plan.name}` });
      else if (created) await this.delete(clients, plan);
    }
  }

  private async plan(request: ProfileRequest): Promise<JobPlan> {
    const { options } = this;
    const { collector } = request;
    if (collector.kind !== 'job') throw new Error(`the job collector cannot serve the ${collector.kind} collector`);
    if (!options.collectorImage) throw new UpstreamError('the job collector needs COLLECTOR_IMAGE: the image (this service\'s own) that the Job runs');
    const placement = 'pod' in collector ? await this.onPodNode(request, collector.pod) : { node: collector.node, hostNetwork: true, url: request.profileUrl };
    const collectorTimeoutSeconds = options.fetchTimeoutSeconds + (request.type === 'Profile' ? request.durationSeconds : 0);
    return {
      name: `${options.jobNamePrefix ?? 'go-profiler'}-${request.type.toLowerCase()}-${crypto.randomBytes(4).toString('hex')}`,
      namespace: options.namespace,
      image: options.collectorImage,
      ...placement,
      secretName: request.secret?.name,
      collectorTimeoutSeconds,
      activeDeadlineSeconds: collectorTimeoutSeconds + options.deadlineMarginSeconds,
      ttlSecondsAfterFinished: options.ttlSeconds,
      maxProfileBytes: options.maxProfileBytes,
      diagnosis: { namespace: request.context.diagnosisNamespace, name: request.context.diagnosisName },
    };
  }

  /** A pod target: the Job runs on the pod's node, in the pod network, and fetches the pod IP. */
  private async onPodNode(request: ProfileRequest, pod: PodTarget): Promise<Pick<JobPlan, 'node' | 'hostNetwork' | 'url'>> {
    const located = await locateTargetPod(this.options.kube, pod);
    return { node: located.node, hostNetwork: false, url: podProfileUrl(request, pod, located.podIP) };
  }

  private async create(clients: KubeClients, plan: JobPlan): Promise<void> {
    try {
      const body = buildCollectorJob(plan);
      await bounded(clients.batch.createNamespacedJob({ namespace: plan.namespace, body }), API_CALL_TIMEOUT_MS, 'creating the Job');
    } catch (error) {
      if (error instanceof NoAnswerError) throw error;
      const { code, message } = describeKubeError(error);
      const hint =
        code === 403 ? ` (the service account needs jobs create in ${plan.namespace}: deploy/rbac/job-collector.yaml)` :
        code === 404 ? ` (does the namespace ${plan.namespace} exist? JOB_NAMESPACE)` : '';
      throw new UpstreamError(`creating the Job: ${message}${hint}`);
    }
    this.options.log.info({ job: `${plan.namespace}/${plan.name}`, node: plan.node, hostNetwork: plan.hostNetwork, target: `${plan.url.origin}${plan.url.pathname}` }, 'collector Job created');
    this.options.progress?.({ step: 'job-created', job: `${plan.namespace}/${plan.name}`, node: plan.node });
  }

  /**
   * Background propagation: without it the API server orphans the Job's pod (the default for batch/v1 Jobs). An API
   * server that is away (restarting, overloaded) gets the deletion again in the background once the answer is
   * given; a refusal (RBAC) is left to ttlSecondsAfterFinished.
   */
  private async delete(clients: KubeClients, plan: JobPlan, attempt = 0): Promise<void> {
    const job = `${plan.namespace}/${plan.name}`;
    try {
      const call = clients.batch.deleteNamespacedJob({ name: plan.name, namespace: plan.namespace, propagationPolicy: 'Background' });
      await bounded(call, API_CALL_TIMEOUT_MS, 'deleting the Job');
      this.options.log.info({ job, attempt }, 'collector Job deleted');
      this.options.progress?.({ step: 'job-deleted', job });
    } catch (error) {
      const { code, message } = describeKubeError(error);
      if (code === 404) return;
      const transient = code === undefined || code === 429 || code >= 500;
      if (transient && attempt < DELETE_ATTEMPTS) {
        const retryMs = Math.min(DELETE_RETRY_MAX_MS, 1000 * 2 ** attempt);
        this.options.log.warn({ job, error: message, retryMs }, 'deleting the collector Job failed; trying again');
        setTimeout(() => void this.delete(clients, plan, attempt + 1), retryMs).unref();
        return;
      }
      this.options.log.warn({ job, error: message }, 'deleting the collector Job failed; ttlSecondsAfterFinished removes it once it ends');
    }
  }
}

/** Refuses before any Job exists: a denied address, or a Secret outside SECRET_NAMESPACES. */
function checkAccess(plan: JobPlan, access: JobAccess): void {
  access.policy.checkHost(plan.url);
  const allowed = access.secretNamespaces;
  if (plan.secretName && !allowed.includes('*') && !allowed.includes(plan.namespace)) {
    throw new InputError(`mounting Secret ${plan.namespace}/${plan.secretName}: Secrets may only be used from ${allowed.join(', ')} (SECRET_NAMESPACES)`, [
      { key: KEYS.secretNamespace, message: `must be one of ${allowed.join(', ')}` },
    ]);
  }
}

/** Reports the pod each time its phase (or its waiting reason) changes. */
function podProgress(job: string, progress: (event: CollectorProgress) => void): (pod: V1Pod) => void {
  let last = '';
  return (pod) => {
    const phase = pod.status?.phase ?? 'Pending';
    const reason = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    const seen = `${phase} ${reason ?? ''} ${pod.spec?.nodeName ?? ''}`;
    if (seen === last) return;
    last = seen;
    progress({ step: 'pod', job, pod: pod.metadata?.name ?? '', phase, node: pod.spec?.nodeName, ...(reason ? { reason } : {}) });
  };
}

/** One Job at a time per target and profile type. */
function targetKey(request: ProfileRequest): string {
  const { collector } = request;
  if ('pod' in collector) return `pod ${collector.pod.namespace}/${collector.pod.name}:${collector.pod.port} ${request.type}`;
  if ('node' in collector) return `node ${collector.node} ${request.profileUrl.origin} ${request.type}`;
  return `${request.profileUrl.origin} ${request.type}`;
}
