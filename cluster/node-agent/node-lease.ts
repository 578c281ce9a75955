/**
 * The node's heartbeat that kube-controller-manager's node lifecycle controller
 * reads: the Lease kube-node-lease/<node>, renewed every 10 s with a 40 s
 * duration, as the kubelet's nodelease controller does (owned by the Node, so
 * it goes with it).
 */
import { ApiError, isNotFound, type ApiClient } from './api-client';

export const LEASE_RENEW_MS = 10_000;
const LEASE_DURATION_SECONDS = 40;
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';

export class NodeLease {
  private lease?: any;

  constructor(private readonly api: ApiClient, private readonly node: string, private readonly nodeUid: () => string) {}

  async renew(): Promise<void> {
    this.lease ??= await this.getOrCreate();
    const renewed = { ...this.lease, spec: { ...this.lease.spec, holderIdentity: this.node, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime() } };
    try {
      this.lease = await this.api.request('PUT', `${LEASES}/${this.node}`, renewed);
    } catch (error) {
      // Changed or deleted by someone else: read it again next time.
      if (error instanceof ApiError && (error.status === 409 || error.status === 404)) this.lease = undefined;
      throw error;
    }
  }

  private async getOrCreate(): Promise<any> {
    try {
      return await this.api.request('GET', `${LEASES}/${this.node}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    return this.api.request('POST', LEASES, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.node,
        namespace: 'kube-node-lease',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.node, uid: this.nodeUid() }],
      },
      spec: { holderIdentity: this.node, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime() },
    });
  }
}

/** metav1.MicroTime: RFC3339 with microseconds. */
function microTime(): string {
  return new Date().toISOString().replace(/Z$/, '000Z');
}
