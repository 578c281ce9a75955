/**
 * What the agent tells the API server about one pod, as the kubelet's status
 * manager and event recorder do: its status through pods/status, one write at
 * a time and in order; Events; at the end its deletion. Status and deletion
 * carry the pod's uid as a precondition, so a newer pod of the same name is
 * never written to.
 */
import { ApiError, MERGE_PATCH, type ApiClient } from './api-client';
import { recordEvent, type EventType } from './pod-events';
import { PodStatusBuilder, type PodView } from './pod-status';

export class PodReporter {
  private readonly status = new PodStatusBuilder();
  private writes = Promise.resolve();

  /** pod: the pod as last seen, whose conditions of others are kept. */
  constructor(
    private readonly api: ApiClient,
    private readonly node: string,
    private readonly pod: () => any,
    private readonly log: (line: string) => void,
  ) {}

  /** Writes the status as the view is now (it is built at once, sent after the writes before it). */
  write(view: PodView): Promise<void> {
    const { namespace, name, uid } = this.pod().metadata;
    const body = { metadata: { uid }, status: this.status.build(view, this.pod().status?.conditions) };
    this.writes = this.writes
      .then(() => this.api.request('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, body, MERGE_PATCH))
      .then(() => undefined, (error: Error) => this.ignoreGone(error, 'writing status'));
    return this.writes;
  }

  /** An Event about the pod's container; not waited for. */
  event(type: EventType, reason: string, message: string): void {
    recordEvent(this.api, this.node, this.pod(), type, reason, message).catch((error: Error) => this.ignoreGone(error, `recording event ${reason}`));
  }

  /** Resolves when every write so far is done. */
  settled(): Promise<void> {
    return this.writes;
  }

  /** Deletes the pod for good, as the kubelet does once its containers are gone: grace 0, the uid as precondition. */
  async delete(): Promise<void> {
    const { namespace, name, uid } = this.pod().metadata;
    const options = { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } };
    await this.api.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, options).catch((error: Error) => this.ignoreGone(error, 'deleting'));
  }

  /** A pod deleted (or replaced) meanwhile is no error: there is nothing left to report to. */
  private ignoreGone(error: Error, what: string): void {
    if (error instanceof ApiError && [404, 409, 422].includes(error.status)) return;
    const { namespace, name } = this.pod().metadata;
    this.log(`pod ${namespace}/${name}: ${what}: ${error.message}`);
  }
}
