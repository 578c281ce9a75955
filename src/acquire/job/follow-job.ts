import type { CoreV1Event, V1Job, V1Pod } from '@kubernetes/client-node';
import { UpstreamError } from '../../errors';
import { KubeClients } from '../kube/clients';
import { JOB_LABEL } from './job-spec';
import { describePod, judge, Verdict } from './job-verdict';

export interface FollowOptions {
  clients: KubeClients;
  namespace: string;
  job: string;
  /** Epoch ms after which the service stops waiting, whatever the cluster says. */
  deadline: number;
  signal: AbortSignal;
  /** Each time the pod is seen anew (scheduled, started, ...): a command line's progress. */
  onPod?: (pod: V1Pod) => void;
}

export type Finished = Extract<Verdict, { state: 'succeeded' | 'collector-failed' }>;

/** A watch that ended on its own (server timeout, dropped connection) is opened again after this pause. */
const REWATCH_DELAY_MS = 500;
const DENIED_GRACE_MS = 5000;

/**
 * Watches the Job and its pod until the verdict is final. Each watch starts without a resourceVersion, so the
 * server first replays the current objects as ADDED events: nothing is missed between create and watch, and a
 * reopened watch starts from the current state. Every wait is bounded by the deadline and the abort signal.
 */
export function followJob(options: FollowOptions): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const latest: { job?: V1Job; pod?: V1Pod } = {};
    const watches: AbortController[] = [];
    let finished = false;
    const finish = (settle: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      for (const watch of watches) watch.abort();
      settle();
    };
    const evaluate = () => {
      const verdict = judge(latest.job, latest.pod);
      if (verdict.state === 'failed') finish(() => reject(new UpstreamError(verdict.reason)));
      else if (verdict.state !== 'running') finish(() => resolve(verdict));
    };
    const onAbort = () => finish(() => reject(options.signal.reason));
    const started = Date.now();
    const timer = setTimeout(() => {
      const seconds = Math.ceil((options.deadline - started) / 1000);
      finish(() => reject(new UpstreamError(`no outcome within ${seconds} s; the collector pod was ${describePod(latest.pod)}`)));
    }, Math.max(0, options.deadline - started));
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort);

    const open = (path: string, query: Record<string, string>, onObject: (type: string, object: unknown) => void, required = true) =>
      keepWatching(options, path, query, {
        onObject: (type, object) => {
          onObject(type, object);
          evaluate();
        },
        onFatal: (error) => required && finish(() => reject(error)),
        isFinished: () => finished,
        opened: (controller) => (finished ? controller.abort() : watches.push(controller)),
      });
    const ns = encodeURIComponent(options.namespace);
    open(`/apis/batch/v1/namespaces/${ns}/jobs`, { fieldSelector: `metadata.name=${options.job}` }, (type, object) => {
      // The service deletes its Job only after the follower is finished: a deletion seen here is someone else's.
      if (type === 'DELETED') finish(() => reject(new UpstreamError('the Job was deleted by someone else before it finished')));
      else latest.job = object as V1Job;
    });
    // A pod being deleted keeps the state it had before: it is what the deadline message describes.
    open(`/api/v1/namespaces/${ns}/pods`, { labelSelector: `${JOB_LABEL}=${options.job}` }, (type, object) => {
      const pod = object as V1Pod;
      if (type !== 'DELETED' && !(latest.pod && pod.metadata?.deletionTimestamp)) {
        latest.pod = pod;
        options.onPod?.(pod);
      }
    });
    // A pod the Job controller may not create (Pod Security admission, a quota) exists only as its event. Without
    // the permission to watch events the deadline still answers, later: the watch is not required.
    const failedCreate = `involvedObject.kind=Job,involvedObject.name=${options.job},reason=FailedCreate`;
    open(`/api/v1/namespaces/${ns}/events`, { fieldSelector: failedCreate }, (type, object) => {
      if (type === 'DELETED') return;
      const message = (object as CoreV1Event).message ?? 'no message';
      finish(() => reject(new UpstreamError(`the Job could not create its pod: ${message}${podSecurityHint(message)}`)));
    }, false);
  });
}

interface WatchHandlers {
  onObject(type: string, object: unknown): void;
  onFatal(error: Error): void;
  isFinished(): boolean;
  opened(controller: AbortController): void;
}

/**
 * One watch, opened again whenever it ends before the follower is finished, except on errors that do not heal. A
 * refusal heals only just after an API server (re)starts, while its authorizer's caches fill: it is fatal once it
 * has lasted DENIED_GRACE_MS.
 */
function keepWatching(options: FollowOptions, path: string, query: Record<string, string>, handlers: WatchHandlers, deniedSince?: number): void {
  const reopen = (error: unknown) => {
    if (handlers.isFinished()) return;
    const code = (error as { statusCode?: number } | null)?.statusCode;
    const denied = code === 401 || code === 403;
    const since = denied ? (deniedSince ?? Date.now()) : undefined;
    // Routing errors and lasting refusals do not heal; anything else (timeouts, dropped streams, 410) is retried.
    if (code === 404 || (since !== undefined && Date.now() - since >= DENIED_GRACE_MS)) {
      handlers.onFatal(new UpstreamError(`watching ${path}: the API server answered ${code} (${(error as Error).message})`));
      return;
    }
    setTimeout(() => keepWatching(options, path, query, handlers, since), REWATCH_DELAY_MS).unref();
  };
  const timeoutSeconds = String(Math.max(1, Math.ceil((options.deadline - Date.now()) / 1000)));
  options.clients.watch
    .watch(path, { ...query, timeoutSeconds }, (type, object) => {
      if (handlers.isFinished() || type === 'ERROR' || type === 'BOOKMARK') return;
      handlers.onObject(type, object);
    }, reopen)
    .then(handlers.opened, reopen);
}

function podSecurityHint(message: string): string {
  if (!/violates PodSecurity/.test(message) || !/hostNetwork/.test(message)) return '';
  return ' (job.host_network needs a JOB_NAMESPACE whose Pod Security level allows host networking: pod-security.kubernetes.io/enforce=privileged)';
}
