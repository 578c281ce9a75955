/**
 * One container instance as a local process: its stdout and stderr go to its
 * CRI log, and it runs in a process group of its own, so stopping it stops
 * whatever it started too (as a container's cgroup would be emptied).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { CriLogWriter, Stream } from './cri-log';

export interface ProcessSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface ProcessExit {
  exitCode: number;
  /** Set when the process never started: the runtime's StartError message. */
  startError?: string;
}

export class ContainerProcess {
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;
  private done = false;

  constructor(spec: ProcessSpec, private readonly log: CriLogWriter) {
    this.child = spawn(spec.file, spec.args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.capture('stdout');
    this.capture('stderr');
    this.exited = new Promise((resolve) => {
      const finish = (exit: ProcessExit) => {
        if (this.done) return;
        this.done = true;
        log.close();
        resolve(exit);
      };
      this.child.once('error', (error) => {
        // Only a process that never started ends here; one that did ends with 'close'.
        if (this.child.pid === undefined) finish({ exitCode: 128, startError: startErrorMessage(spec, error) });
      });
      // 128 + the signal's number, as a runtime reports a killed container.
      this.child.once('close', (code, signal) => finish({ exitCode: code ?? 128 + (signal ? constants.signals[signal] : 0) }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM to the group, SIGKILL after graceMs, as the kubelet stops a container; resolves on exit. */
  async stop(graceMs: number): Promise<ProcessExit> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.done || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  private capture(stream: Stream): void {
    let partial = '';
    const source = this.child[stream];
    source?.setEncoding('utf8');
    source?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.log.line(stream, line);
    });
    source?.on('end', () => partial && this.log.line(stream, partial));
  }
}

/** What containerd says when the command cannot be executed. */
function startErrorMessage(spec: ProcessSpec, error: NodeJS.ErrnoException): string {
  const why = error.code === 'ENOENT' ? 'no such file or directory' : error.code === 'EACCES' ? 'permission denied' : error.message;
  return `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${spec.file}": stat ${spec.file}: ${why}: unknown`;
}
