/**
 * The Node object, as the kubelet registers and reports it: created if missing
 * (with the labels NodeRestriction lets a kubelet set on itself), then its
 * status through nodes/status. The Ready condition's lastHeartbeatTime is
 * refreshed every minute (the Lease is the frequent heartbeat); a condition's
 * lastTransitionTime changes only when its status does, as on the object now.
 */
import { release } from 'node:os';
import { isNotFound, MERGE_PATCH, type ApiClient } from './api-client';
import { now } from './pod-status';

export interface NodeIdentity {
  name: string;
  ip: string;
  kubeletPort: number;
  kubeletVersion: string;
}

export const NODE_STATUS_REFRESH_MS = 60_000;
const RESOURCES = { cpu: '2', memory: '8Gi', pods: '110', 'ephemeral-storage': '20Gi' };
const CONDITIONS = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

/** Creates the Node if it does not exist; its uid (the Lease's owner). */
export async function registerNode(api: ApiClient, node: NodeIdentity): Promise<string> {
  try {
    return (await api.request('GET', `/api/v1/nodes/${node.name}`)).metadata.uid;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const created = await api.request('POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {},
  });
  return created.metadata.uid;
}

/** Writes the node's whole status: addresses, capacity, nodeInfo, and fresh heartbeats on every condition. */
export async function reportNodeStatus(api: ApiClient, node: NodeIdentity): Promise<void> {
  const current = await api.request('GET', `/api/v1/nodes/${node.name}`);
  const time = now();
  const conditions = CONDITIONS.map((condition) => {
    const before = (current.status?.conditions ?? []).find((c: any) => c.type === condition.type);
    const since = before?.status === condition.status ? before.lastTransitionTime : time;
    return { ...condition, lastHeartbeatTime: time, lastTransitionTime: since };
  });
  const status = {
    capacity: RESOURCES,
    allocatable: RESOURCES,
    conditions,
    addresses: [{ type: 'InternalIP', address: node.ip }, { type: 'Hostname', address: node.name }],
    daemonEndpoints: { kubeletEndpoint: { Port: node.kubeletPort } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: release(),
      osImage: 'go-profiler node agent',
      containerRuntimeVersion: 'go-profiler-node-agent://1',
      kubeletVersion: node.kubeletVersion,
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
  // A merge patch with the uid, so a Node deleted and made again meanwhile is not written to.
  await api.request('PATCH', `/api/v1/nodes/${node.name}/status`, { metadata: { uid: current.metadata.uid }, status }, MERGE_PATCH);
}
