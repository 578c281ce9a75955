/**
 * Where this node's pods live on the network (cluster/pod-network.ts makes it: a network namespace per node).
 * Without one, each pod binds a loopback address of its own instead, which kube-apiserver's pods/proxy refuses.
 */
export interface PodNetworkHooks {
  /** Gives the pod's IP to the network before its process starts. */
  addAddress(ip: string): Promise<void>;
  removeAddress(ip: string): Promise<void>;
  /** The command line that runs a program inside the network. */
  wrap(command: string, args: string[]): { command: string; args: string[] };
}
