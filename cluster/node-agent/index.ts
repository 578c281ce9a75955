/**
 * The node agent: the one part of the test cluster that cannot be real, since
 * there is no container runtime here. It acts towards the real API server
 * exactly as a kubelet may (its identity is system:node:<name>, checked by the
 * Node authorizer and NodeRestriction): it registers its Node and keeps it
 * Ready, runs the pods bound to it as local processes, reports their status,
 * and serves their logs on the kubelet port.
 */
import { mkdir, rm } from 'node:fs/promises';
import type { Server } from 'node:https';
import { ApiClient, isNotFound } from './api-client';
import type { ImageRuntime } from './container-spec';
import { IpPool } from './ip-pool';
import type { PodNetworkHooks } from './pod-network';
import { startKubeletServer } from './kubelet-server';
import { LEASE_RENEW_MS, NodeLease } from './node-lease';
import { NODE_STATUS_REFRESH_MS, registerNode, reportNodeStatus, type NodeIdentity } from './node-status';
import { PodSet } from './pod-set';
import { watchPods } from './pod-watch';
import { repeat } from './repeat';

export interface NodeAgentOptions {
  name: string;
  /** The node's InternalIP on loopback; the kubelet port listens here, and host-network pods get it. */
  ip: string;
  /** Pod IPs are <prefix>.2 .. <prefix>.254. */
  podIpPrefix: string;
  kubeletPort: number;
  /** A kubeconfig with the client certificate CN=system:node:<name>, O=system:nodes. */
  kubeconfig: string;
  /** PEM: the kubelet's serving certificate (IP SAN = ip) and key. */
  servingCert: string;
  servingKey: string;
  /** PEM: the CA of the API server's kubelet client certificate; required of every client. */
  clientCa: string;
  /** Pods with this image run this repository's collector. */
  collectorImage: string;
  runtime: ImageRuntime;
  /** A folder of the agent's own for volumes and logs; removed on stop. */
  stateDir: string;
  kubeletVersion: string;
  /** The pods' network; without it pod IPs are loopback addresses (podIpPrefix 127.x.y). */
  podNetwork?: PodNetworkHooks;
  log?: (line: string) => void;
}

export interface NodeAgent {
  /** Kills every process it started and removes stateDir; API objects stay as they are. */
  stop(): Promise<void>;
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const log = (line: string) => options.log?.(line);
  await mkdir(options.stateDir, { recursive: true });
  const api = await ApiClient.fromKubeconfig(options.kubeconfig);
  const identity: NodeIdentity = { name: options.name, ip: options.ip, kubeletPort: options.kubeletPort, kubeletVersion: options.kubeletVersion };
  const pods = new PodSet({
    api,
    nodeName: options.name,
    nodeIp: options.ip,
    collectorImage: options.collectorImage,
    runtime: options.runtime,
    stateDir: options.stateDir,
    // .254 is the machine's end of a pod network's veth.
    ips: new IpPool(options.podIpPrefix, [options.ip, `${options.podIpPrefix}.254`]),
    network: options.podNetwork,
    log,
  });
  const stopping = new AbortController();
  let server: Server | undefined;
  const duties: Promise<void>[] = [];
  try {
    // The port first: the API server may forward pods/log as soon as a pod is bound here.
    server = await startKubeletServer({
      ip: options.ip, port: options.kubeletPort, cert: options.servingCert, key: options.servingKey, clientCa: options.clientCa, pods, log,
    });
    let nodeUid = await registerNode(api, identity);
    await reportNodeStatus(api, identity);
    const lease = new NodeLease(api, options.name, () => nodeUid);
    const heartbeat = async () => {
      try {
        await reportNodeStatus(api, identity);
      } catch (error) {
        // Deleted: register again, as a restarted kubelet would.
        if (!isNotFound(error)) throw error;
        nodeUid = await registerNode(api, identity);
        await reportNodeStatus(api, identity);
      }
    };
    duties.push(
      repeat(LEASE_RENEW_MS, stopping.signal, () => lease.renew(), (line) => log(`renewing lease: ${line}`)),
      // Just written above: the refresh begins one period later.
      repeat(NODE_STATUS_REFRESH_MS, stopping.signal, heartbeat, (line) => log(`reporting node status: ${line}`), NODE_STATUS_REFRESH_MS),
      watchPods(api, options.name, stopping.signal, pods, log),
    );
    log(`registered; kubelet API on https://${options.ip}:${options.kubeletPort}`);
  } catch (error) {
    await stop();
    throw new Error(`starting node agent ${options.name}: ${(error as Error).message}`);
  }

  async function stop(): Promise<void> {
    stopping.abort();
    await Promise.all(duties);
    await pods.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => (server?.listening ? server.close(resolve) : resolve(undefined)));
    api.close();
    await rm(options.stateDir, { recursive: true, force: true });
  }

  let stopped: Promise<void> | undefined;
  return { stop: () => (stopped ??= stop()) };
}
