/**
 * The Events a kubelet records about a pod's container (Pulled, Created,
 * Started, Killing, Failed, BackOff, FailedMount), so `kubectl describe pod`
 * tells what happened as on a real node. Best effort: a lost Event is logged.
 */
import { randomBytes } from 'node:crypto';
import type { ApiClient } from './api-client';

export type EventType = 'Normal' | 'Warning';

export function recordEvent(api: ApiClient, node: string, pod: any, type: EventType, reason: string, message: string): Promise<void> {
  const { namespace, name, uid } = pod.metadata;
  const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name, uid, fieldPath: `spec.containers{${pod.spec.containers[0].name}}` },
    type,
    reason,
    message,
    source: { component: 'kubelet', host: node },
    reportingComponent: 'kubelet',
    reportingInstance: node,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
  return api.request('POST', `/api/v1/namespaces/${namespace}/events`, event).then(() => undefined);
}
