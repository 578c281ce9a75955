/**
 * The container runtime under the kubelet stand-in: runs a container's
 * command as a real local process and keeps its output as the CRI does, one
 * record per line with a timestamp and the stream it came from.
 *
 * The "image" is this checkout: `node` is node_modules/.bin/node and the
 * working directory is the repository root (where dist/ lives, as in the
 * service's image). What a container would see differently is mapped:
 * mounted volumes (mountPath -> a temp directory) and addresses (pod IP:port
 * -> the local port of the real server behind it) are rewritten in the
 * arguments, so the program itself runs unmodified; its output is mapped back,
 * so that what it prints names the addresses it was given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';

export interface LogRecord {
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ImageRuntime {
  /** The node binary that stands for `node` in the image. */
  node: string;
  /** The image's working directory. */
  workdir: string;
}

export interface ContainerRun {
  command: string[];
  args: string[];
  /** mountPath -> local directory. */
  mounts: Map<string, string>;
  /** "host:port" as the container would dial it -> "127.0.0.1:port" where it really is. */
  addresses: Map<string, string>;
  env: Record<string, string>;
}

/** Emits 'line' (LogRecord) and 'exit' (code). */
export class ContainerProcess extends EventEmitter {
  readonly log: LogRecord[] = [];
  exitCode?: number;
  private readonly child: ChildProcess;
  private readonly addresses: Map<string, string>;

  constructor(run: ContainerRun, runtime: ImageRuntime) {
    super();
    this.addresses = run.addresses;
    const [executable, ...rest] = [...run.command, ...run.args].map((arg) => mapArgument(arg, run));
    if (executable !== 'node') throw new Error(`exec: "${executable}": executable file not found in $PATH`);
    this.child = spawn(runtime.node, rest, { cwd: runtime.workdir, env: run.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.capture('stdout');
    this.capture('stderr');
    this.child.once('close', (code, signal) => {
      // 128 + signal number, as a runtime reports a killed container.
      this.exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
      this.emit('exit', this.exitCode);
    });
  }

  /** SIGTERM, then SIGKILL after the grace period, as the kubelet stops a container. */
  kill(graceMs = 2000): void {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    setTimeout(() => this.exitCode === undefined && this.child.kill('SIGKILL'), graceMs).unref();
  }

  private capture(stream: 'stdout' | 'stderr'): void {
    let partial = '';
    const source = this.child[stream];
    source?.setEncoding('utf8');
    source?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const text of lines) this.record(stream, text);
    });
    source?.on('end', () => partial && this.record(stream, partial));
  }

  private record(stream: 'stdout' | 'stderr', output: string): void {
    let text = output;
    for (const [dialed, real] of this.addresses) text = text.split(`//${real}`).join(`//${dialed}`);
    const line = { time: new Date().toISOString(), stream, text };
    this.log.push(line);
    this.emit('line', line);
  }
}

function mapArgument(arg: string, run: ContainerRun): string {
  let mapped = arg;
  for (const [mountPath, local] of run.mounts) {
    if (mapped === mountPath || mapped.startsWith(`${mountPath}/`)) mapped = path.join(local, mapped.slice(mountPath.length));
  }
  for (const [dialed, real] of run.addresses) mapped = mapped.split(`//${dialed}`).join(`//${real}`);
  return mapped;
}
