/**
 * The downward API's fieldRef: what env valueFrom.fieldRef and downwardAPI
 * volume items may name. The pod's IPs come from the agent (they are decided
 * before the status that carries them is written).
 */
export interface PodAddresses {
  podIP: string;
  hostIP: string;
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.+)'\]$/;

export function fieldValue(pod: any, fieldPath: string, addresses: PodAddresses): string {
  const subscript = SUBSCRIPT.exec(fieldPath);
  if (subscript) return (pod.metadata[subscript[1]] ?? {})[subscript[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata.name;
    case 'metadata.namespace': return pod.metadata.namespace;
    case 'metadata.uid': return pod.metadata.uid;
    // Whole maps only in volumes, as the API server validates; formatted as the kubelet's fieldpath.FormatMap.
    case 'metadata.labels': return formatMap(pod.metadata.labels);
    case 'metadata.annotations': return formatMap(pod.metadata.annotations);
    case 'spec.nodeName': return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs': return addresses.podIP;
    case 'status.hostIP':
    case 'status.hostIPs': return addresses.hostIP;
    default: throw new Error(`unsupported fieldPath: ${fieldPath}`);
  }
}

function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${JSON.stringify(map?.[key])}`)
    .join('\n');
}
