/**
 * The whole test cluster: the control plane (control-plane.ts) and two nodes run by the node agent, each with its
 * own loopback addresses, so that pods listen on the same port side by side. Writes cluster.json beside the admin's
 * kubeconfig: what tests and scripts need to know of it.
 */
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildClusterBinaries, type ClusterBinaries } from './build';
import { startControlPlane, type ControlPlane } from './control-plane';
import { writeKubeconfig } from './kubeconfig';
import { startNodeAgent, type NodeAgent } from './node-agent';
import { PodNetwork } from './pod-network';
import { freePort } from './processes';

export const NODE_NAMES = ['node-a', 'node-b'];
/** The image whose pods run this repository's collector, unless COLLECTOR_IMAGE names another. */
export const DEFAULT_COLLECTOR_IMAGE = 'go-profiler:local';
const REPO_ROOT = path.resolve(__dirname, '..');

export interface ClusterNode {
  name: string;
  /** InternalIP: the kubelet listens here; host-network pods have it. */
  ip: string;
  /** Pods of this node get <podIpPrefix>.2 and up: 10.x.y in a network namespace of the node's, else 127.x.y. */
  podIpPrefix: string;
  /** The node's network namespace, where its pods (not host-network ones) run; none without root. */
  podNetworkNamespace?: string;
  /** Every address a pod of this node may get (for a test certificate that must name a pod's IP in advance). */
  podAddresses: string[];
  kubeletPort: number;
}

/** What cluster.json holds. */
export interface ClusterInfo {
  kubeconfig: string;
  server: string;
  caFile: string;
  kubectl: string;
  kubernetesVersion: string;
  collectorImage: string;
  auditLog: string;
  nodes: ClusterNode[];
  /** The cluster process, and its components' pids: a test may SIGKILL one and wait for it to be back. */
  pid: number;
  components: Record<string, number>;
}

export interface Cluster {
  info: ClusterInfo;
  infoFile: string;
  controlPlane: ControlPlane;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  collectorImage?: string;
  log?: (line: string) => void;
  binaries?: ClusterBinaries;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const log = options.log ?? (() => {});
  const binaries = options.binaries ?? (await buildClusterBinaries(log));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-cluster-'));
  const infoFile = path.join(dir, 'cluster.json');
  let info: ClusterInfo | undefined;
  const writeInfo = () => info && fs.writeFileSync(infoFile, `${JSON.stringify(info, null, 2)}\n`);
  const controlPlane = await startControlPlane({
    binaries, dir, log,
    onStart: (name, started) => {
      if (!info) return;
      info.components[name] = started.pid;
      writeInfo();
    },
  });
  const collectorImage = options.collectorImage ?? DEFAULT_COLLECTOR_IMAGE;
  // 127.B.n.0/24 (and 10.B.n.0/24 for pods) per node, B random: two clusters on one machine rarely meet.
  const base = randomInt(16, 250);
  const agents: NodeAgent[] = [];
  const networks: PodNetwork[] = [];
  const stop = async () => {
    await Promise.all(agents.map((agent) => agent.stop()));
    await Promise.all(networks.map((network) => network.destroy()));
    await controlPlane.stop();
  };
  try {
    const nodes: ClusterNode[] = [];
    const namespaces = await PodNetwork.available();
    if (namespaces) await PodNetwork.removeStale();
    else log('not root (or no iproute2): pods get loopback IPs, which kube-apiserver\'s pods/proxy refuses');
    for (const [index, name] of NODE_NAMES.entries()) {
      // The node itself (its kubelet port, host-network pods) is on this machine's loopback.
      const ip = `127.${base}.${index + 1}.1`;
      const podIpPrefix = namespaces ? `10.${base}.${index + 1}` : `127.${base}.${index + 1}`;
      const network = namespaces ? await PodNetwork.create({ letter: name.slice(-1), prefix: podIpPrefix }) : undefined;
      if (network) networks.push(network);
      const podAddresses = Array.from({ length: 252 }, (_, i) => `${podIpPrefix}.${i + 2}`);
      const node = { name, ip, podIpPrefix, podNetworkNamespace: network?.namespace, podAddresses, kubeletPort: await freePort(ip) };
      agents.push(await startNode(controlPlane, node, network, binaries.kubernetesVersion, collectorImage, dir, log));
      nodes.push(node);
    }
    info = {
      kubeconfig: controlPlane.adminKubeconfig,
      server: controlPlane.server,
      caFile: controlPlane.pki.ca.cert,
      kubectl: binaries.kubectl,
      kubernetesVersion: binaries.kubernetesVersion,
      collectorImage,
      auditLog: controlPlane.auditLog,
      nodes,
      pid: process.pid,
      components: Object.fromEntries([...controlPlane.components].map(([name, p]) => [name, p.pid])),
    };
    writeInfo();
    return { info, infoFile, controlPlane, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startNode(controlPlane: ControlPlane, node: ClusterNode, network: PodNetwork | undefined, version: string, collectorImage: string, dir: string, log: (line: string) => void): Promise<NodeAgent> {
  const { pki, server } = controlPlane;
  const [client, serving] = await Promise.all([
    pki.issue({ file: `${node.name}-client`, commonName: `system:node:${node.name}`, organization: 'system:nodes', usage: 'client' }),
    pki.issue({ file: `${node.name}-serving`, commonName: node.name, usage: 'server', hosts: [node.ip, node.name] }),
  ]);
  const kubeconfig = writeKubeconfig(path.join(dir, `${node.name}.kubeconfig`), { server, ca: pki.ca.cert, user: `system:node:${node.name}`, credentials: client });
  const read = (file: string) => fs.readFileSync(file, 'utf8');
  return startNodeAgent({
    name: node.name,
    ip: node.ip,
    podIpPrefix: node.podIpPrefix,
    kubeletPort: node.kubeletPort,
    kubeconfig,
    servingCert: read(serving.cert),
    servingKey: read(serving.key),
    clientCa: read(pki.ca.cert),
    collectorImage,
    runtime: { node: path.join(REPO_ROOT, 'node_modules', '.bin', 'node'), workdir: REPO_ROOT },
    stateDir: path.join(dir, 'nodes', node.name),
    kubeletVersion: version,
    podNetwork: network,
    log: (line) => log(`${node.name}: ${line}`),
  });
}
