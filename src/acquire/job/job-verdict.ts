import type { V1Job, V1Pod } from '@kubernetes/client-node';

/**
 * What the latest Job and pod objects say about a collection: still going, done (read the log), or failed for a
 * reason the cluster already gave, so the service answers at once instead of at the deadline.
 */
export type Verdict =
  | { state: 'running' }
  | { state: 'succeeded'; pod: string }
  /** The collector ran and failed: its own reason is in the log. */
  | { state: 'collector-failed'; pod: string; detail: string }
  | { state: 'failed'; reason: string };

/**
 * Waiting reasons that do not get better by waiting. ErrImagePull is left out: the kubelet retries it once
 * before it becomes ImagePullBackOff, and a registry hiccup deserves that one retry.
 */
const HOPELESS_WAITING = new Set([
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

export function judge(job: V1Job | undefined, pod: V1Pod | undefined): Verdict {
  // Since Kubernetes 1.31 the Job controller sets FailureTarget first, then stops the pods, then sets Failed: the
  // stopped pod would otherwise read as a collector that failed on its own.
  const failed = condition(job, 'Failed') ?? condition(job, 'FailureTarget');
  if (failed?.reason === 'DeadlineExceeded') {
    const seconds = job?.spec?.activeDeadlineSeconds;
    return { state: 'failed', reason: `the Job ran longer than its activeDeadlineSeconds (${seconds} s) while its pod was ${describePod(pod)}` };
  }
  const fromPod = pod && judgePod(pod);
  if (fromPod) return fromPod;
  if (failed) return { state: 'failed', reason: `the Job failed: ${[failed.reason, failed.message].filter(Boolean).join(': ')}` };
  return { state: 'running' };
}

function judgePod(pod: V1Pod): Verdict | undefined {
  const name = pod.metadata?.name ?? '';
  const waiting = pod.status?.containerStatuses?.map((s) => s.state?.waiting).find((w) => w?.reason && HOPELESS_WAITING.has(w.reason));
  if (waiting) return { state: 'failed', reason: `the collector pod ${name} cannot start: ${reasonAndMessage(waiting)}` };
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { state: 'failed', reason: `the collector pod ${name} cannot be scheduled: ${scheduled.message ?? 'Unschedulable'}` };
  }
  if (pod.status?.phase === 'Succeeded') return { state: 'succeeded', pod: name };
  if (pod.status?.phase !== 'Failed') return undefined;
  // Stopped by a deletion (the Job controller at the deadline, a person): not the collector's own failure. The
  // Job's condition says what happened; its watch may deliver it after this pod's.
  if (pod.metadata?.deletionTimestamp) return undefined;
  const terminated = pod.status.containerStatuses?.[0]?.state?.terminated;
  if (terminated) {
    const detail = `exit code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}${terminated.message ? `: ${lastLine(terminated.message)}` : ''}`;
    return { state: 'collector-failed', pod: name, detail };
  }
  // Rejected by the kubelet before any container ran (OutOfcpu, NodeAffinity, ...).
  return { state: 'failed', reason: `the collector pod ${name} failed: ${reasonAndMessage(pod.status)}` };
}

/** "Pending (ContainerCreating)", for messages about a pod that never got anywhere. */
export function describePod(pod: V1Pod | undefined): string {
  if (!pod) return 'not yet created';
  const waiting = pod.status?.containerStatuses?.find((s) => s.state?.waiting)?.state?.waiting;
  const phase = pod.status?.phase ?? 'Pending';
  return waiting?.reason ? `${phase} (${reasonAndMessage(waiting)})` : phase;
}

function condition(job: V1Job | undefined, type: string) {
  return job?.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

function reasonAndMessage(status: { reason?: string; message?: string }): string {
  return [status.reason, status.message].filter(Boolean).join(': ') || 'no reason given';
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}
