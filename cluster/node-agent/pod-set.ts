/**
 * The pods this node runs, by uid: a worker for each pod that is bound here
 * and not yet terminal when first seen, kept until the pod is gone from the
 * API (so its logs are served until then, as the kubelet serves them).
 */
import type { PodHandler } from './pod-watch';
import { PodWorker, type PodWorkerContext } from './pod-worker';

export class PodSet implements PodHandler {
  private readonly workers = new Map<string, PodWorker>();
  private readonly removals = new Set<Promise<void>>();

  constructor(private readonly ctx: PodWorkerContext) {}

  sync(pods: any[]): void {
    const present = new Set(pods.map((pod) => pod.metadata.uid as string));
    for (const uid of this.workers.keys()) {
      if (!present.has(uid)) this.remove(uid);
    }
    for (const pod of pods) this.observe(pod);
  }

  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: any): void {
    if (type === 'DELETED') this.remove(pod.metadata.uid);
    else this.observe(pod);
  }

  /** The newest pod of that name, as the kubelet's pod manager finds it by name. */
  find(namespace: string, name: string): PodWorker | undefined {
    return [...this.workers.values()].reverse().find((worker) => worker.key === `${namespace}/${name}`);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.workers.values()].map((worker) => worker.stop()));
    this.workers.clear();
    await Promise.all(this.removals);
  }

  private observe(pod: any): void {
    const worker = this.workers.get(pod.metadata.uid);
    if (worker) {
      worker.update(pod);
      return;
    }
    // A pod that ended before this agent saw it (or under an earlier agent) has nothing left to run.
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    try {
      this.workers.set(pod.metadata.uid, new PodWorker(this.ctx, pod));
    } catch (error) {
      this.ctx.log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${(error as Error).message}`);
    }
  }

  private remove(uid: string): void {
    const worker = this.workers.get(uid);
    if (!worker) return;
    this.workers.delete(uid);
    const removal = worker.gone().catch((error: Error) => this.ctx.log(`pod ${worker.key}: cleaning up: ${error.message}`));
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
  }
}
