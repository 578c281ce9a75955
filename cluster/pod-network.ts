/**
 * The pod network of one node: a Linux network namespace of its own, joined to this machine by a veth pair, with
 * the pod IPs of the node on its side. kube-apiserver's pods/proxy refuses loopback pod IPs ("address not
 * allowed"), so pods need addresses of a real network; this one never leaves the machine. Pod processes run inside
 * the namespace (`ip netns exec`) and bind their own IP, as containers of one node would; everything on the
 * machine (API server, service, tests) reaches them over the veth.
 *
 * Needs root (CAP_NET_ADMIN) and iproute2. Namespaces are named after the cluster process's pid, so a later start
 * removes those a killed cluster left behind.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { PodNetworkHooks } from './node-agent/pod-network';

const run = promisify(execFile);
const NAME = /^gp(\d+)-([a-z])$/;

export interface PodNetworkOptions {
  /** Its node's letter ("a" for node-a): names the namespace and the veth. */
  letter: string;
  /** "10.201.1": the node's pods get .1 to .253, the machine's end of the veth .254. */
  prefix: string;
}

export class PodNetwork implements PodNetworkHooks {
  private constructor(readonly namespace: string, readonly prefix: string, private readonly hostLink: string, private readonly ip: string) {}

  /** Whether this process may make network namespaces (root with iproute2). */
  static async available(): Promise<boolean> {
    if (process.getuid?.() !== 0) return false;
    return run('ip', ['netns', 'list']).then(() => true, () => false);
  }

  static async create(options: PodNetworkOptions): Promise<PodNetwork> {
    // An absolute path: a pod's PATH is its own.
    const ipCommand = (await run('sh', ['-c', 'command -v ip'])).stdout.trim();
    const namespace = `gp${process.pid}-${options.letter}`;
    const hostLink = `gp${process.pid}${options.letter}`;
    const ip = (...args: string[]) => run('ip', args);
    await ip('netns', 'add', namespace);
    try {
      await ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
      await ip('addr', 'add', `${options.prefix}.254/24`, 'dev', hostLink);
      await ip('link', 'set', hostLink, 'up');
      await ip('-n', namespace, 'link', 'set', 'lo', 'up');
      await ip('-n', namespace, 'link', 'set', 'eth0', 'up');
      await ip('-n', namespace, 'route', 'add', 'default', 'via', `${options.prefix}.254`, 'dev', 'eth0', 'onlink');
    } catch (error) {
      await ip('netns', 'del', namespace).catch(() => undefined);
      await ip('link', 'del', hostLink).catch(() => undefined);
      throw new Error(`making the pod network ${namespace}: ${String((error as { stderr?: string }).stderr ?? error).trim()}`);
    }
    return new PodNetwork(namespace, options.prefix, hostLink, ipCommand);
  }

  /** Removes the namespaces and links of cluster processes that are gone. */
  static async removeStale(): Promise<void> {
    const { stdout } = await run('ip', ['netns', 'list']).catch(() => ({ stdout: '' }));
    for (const name of stdout.split('\n').map((line) => line.split(' ')[0])) {
      const match = NAME.exec(name);
      if (!match || alive(Number(match[1]))) continue;
      await run('ip', ['netns', 'del', name]).catch(() => undefined);
      await run('ip', ['link', 'del', `gp${match[1]}${match[2]}`]).catch(() => undefined);
    }
  }

  /**
   * Gives the namespace's side the pod's IP, and the default route back again: the kernel drops a device's routes
   * when its last IPv4 address goes (every pod of the node deleted), and without it no new pod could answer.
   */
  async addAddress(address: string): Promise<void> {
    await run('ip', ['-n', this.namespace, 'addr', 'add', `${address}/32`, 'dev', 'eth0']);
    await run('ip', ['-n', this.namespace, 'route', 'replace', 'default', 'via', `${this.prefix}.254`, 'dev', 'eth0', 'onlink']);
  }

  async removeAddress(address: string): Promise<void> {
    await run('ip', ['-n', this.namespace, 'addr', 'del', `${address}/32`, 'dev', 'eth0']).catch(() => undefined);
  }

  /** The command line that runs a program inside the namespace. */
  wrap(command: string, args: string[]): { command: string; args: string[] } {
    return { command: this.ip, args: ['netns', 'exec', this.namespace, command, ...args] };
  }

  async destroy(): Promise<void> {
    await run('ip', ['netns', 'del', this.namespace]).catch(() => undefined);
    await run('ip', ['link', 'del', this.hostLink]).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
