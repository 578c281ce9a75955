/**
 * The Job controller and the TTL-after-finished controller, for the Jobs the
 * stand-in holds, in their 1.27 behaviour for a non-indexed, one-completion Job:
 * - a new Job gets a pod from its template (name <job>-<5 chars>, the template's
 *   labels, an owner reference) and status startTime/active;
 * - a Succeeded pod completes the Job (condition Complete); a Failed pod
 *   counts against backoffLimit, past which the Job fails (BackoffLimitExceeded);
 * - past activeDeadlineSeconds the Job fails (DeadlineExceeded) and its
 *   active pods are deleted;
 * - ttlSecondsAfterFinished after finishing, the Job and its pods are deleted.
 */
import { randomBytes } from 'node:crypto';
import { dependentsOf } from './jobs';
import { JOBS, PODS } from './resources';
import type { KubeObject, ObjectStore, StoreEvent } from './store';

const NAME_SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export class JobController {
  private readonly timers = new Map<string, NodeJS.Timeout[]>();
  private readonly onChange = (e: StoreEvent) => setImmediate(() => this.observe(e));

  constructor(private readonly store: ObjectStore) {
    store.events.on('change', this.onChange);
  }

  stop(): void {
    this.store.events.off('change', this.onChange);
    for (const timers of this.timers.values()) timers.forEach(clearTimeout);
    this.timers.clear();
  }

  private observe(e: StoreEvent): void {
    if (e.resource === JOBS && e.type === 'ADDED') this.start(e.object);
    if (e.resource === JOBS && e.type === 'DELETED') this.forget(e.object.metadata.uid as string);
    if (e.resource === PODS && e.type === 'MODIFIED') this.podChanged(e.object);
  }

  private start(job: KubeObject): void {
    const spec = job.spec as any;
    if (spec.suspend) return;
    this.createPod(job);
    this.setStatus(job, { startTime: now(), active: 1 });
    if (spec.activeDeadlineSeconds) this.after(job, spec.activeDeadlineSeconds, () => this.deadlineExceeded(job));
  }

  private createPod(job: KubeObject): void {
    const template = (job.spec as any).template;
    const suffix = [...randomBytes(5)].map((b) => NAME_SUFFIX_CHARS[b % NAME_SUFFIX_CHARS.length]).join('');
    this.store.create(PODS, {
      metadata: {
        name: `${job.metadata.name}-${suffix}`,
        namespace: job.metadata.namespace,
        generateName: `${job.metadata.name}-`,
        labels: template.metadata?.labels,
        annotations: template.metadata?.annotations,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(template.spec),
      status: { phase: 'Pending', qosClass: 'Burstable' },
    });
  }

  private podChanged(pod: KubeObject): void {
    const owner = (pod.metadata.ownerReferences as Array<{ kind: string; uid: string }> | undefined)?.find((r) => r.kind === 'Job');
    const job = owner && this.store.list(JOBS, pod.metadata.namespace).find((j) => j.metadata.uid === owner.uid);
    if (!job || finished(job)) return;
    const phase = (pod.status as { phase?: string }).phase;
    const status = job.status as { failed?: number };
    if (phase === 'Succeeded') {
      this.finish(job, { succeeded: 1, active: 0, completionTime: now() }, 'Complete');
    } else if (phase === 'Failed') {
      const failed = (status.failed ?? 0) + 1;
      if (failed > (job.spec as any).backoffLimit) {
        this.finish(job, { failed, active: 0 }, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      } else {
        this.setStatus(job, { failed });
        this.createPod(job);
      }
    }
  }

  private deadlineExceeded(job: KubeObject): void {
    const current = this.current(job);
    if (!current || finished(current)) return;
    for (const pod of dependentsOf(this.store, job.metadata.namespace as string, job.metadata.uid as string)) {
      const phase = (pod.status as { phase?: string }).phase;
      if (phase !== 'Succeeded' && phase !== 'Failed') this.store.delete(PODS, pod.metadata.namespace, pod.metadata.name);
    }
    this.finish(current, { failed: 1, active: 0 }, 'Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
  }

  private finish(job: KubeObject, counts: Record<string, unknown>, type: string, reason?: string, message?: string): void {
    const condition = { type, status: 'True', lastProbeTime: now(), lastTransitionTime: now(), ...(reason ? { reason, message } : {}) };
    this.setStatus(job, { ...counts, conditions: [condition] });
    const ttl = (job.spec as any).ttlSecondsAfterFinished;
    if (ttl !== undefined) this.after(job, ttl, () => this.expire(job));
  }

  /** The TTL controller deletes with Background propagation. */
  private expire(job: KubeObject): void {
    const { namespace, name, uid } = job.metadata;
    if (!this.current(job)) return;
    this.store.delete(JOBS, namespace, name);
    for (const pod of dependentsOf(this.store, namespace as string, uid as string)) this.store.delete(PODS, namespace, pod.metadata.name);
  }

  private setStatus(job: KubeObject, change: Record<string, unknown>): void {
    const current = this.current(job);
    if (current) this.store.update(JOBS, { ...current, status: { ...(current.status as object), ...change } });
  }

  private current(job: KubeObject): KubeObject | undefined {
    const current = this.store.get(JOBS, job.metadata.namespace, job.metadata.name);
    return current?.metadata.uid === job.metadata.uid ? current : undefined;
  }

  private after(job: KubeObject, seconds: number, action: () => void): void {
    const uid = job.metadata.uid as string;
    const timer = setTimeout(action, seconds * 1000);
    timer.unref();
    this.timers.set(uid, [...(this.timers.get(uid) ?? []), timer]);
  }

  private forget(uid: string): void {
    this.timers.get(uid)?.forEach(clearTimeout);
    this.timers.delete(uid);
  }
}

function finished(job: KubeObject): boolean {
  const conditions = ((job.status as any)?.conditions ?? []) as Array<{ type: string; status: string }>;
  return conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
