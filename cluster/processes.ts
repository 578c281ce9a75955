/** The control plane's child processes: each logs to a file of its own, and an early exit is reported with its last lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export class ManagedProcess {
  readonly exited: Promise<number | null>;
  private stopping = false;

  private constructor(readonly name: string, readonly logFile: string, private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  }

  static start(name: string, binary: string, args: string[], logDir: string, onUnexpectedExit: (p: ManagedProcess) => void): ManagedProcess {
    const logFile = path.join(logDir, `${name}.log`);
    const out = fs.openSync(logFile, 'a');
    // Its own process group, so that a Ctrl-C meant for `npm run cluster` reaches it only through stop().
    const child = spawn(binary, args, { stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    const managed = new ManagedProcess(name, logFile, child);
    void managed.exited.then(() => managed.stopping || onUnexpectedExit(managed));
    return managed;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  tail(lines = 20): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

/** A port free on host right now (the kernel's choice for port 0). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls check until it returns true, or throws what describe() says after timeoutMs. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s${describe() ? `:\n${describe()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
