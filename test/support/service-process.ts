import { ChildProcess, spawn } from 'node:child_process';
import readline from 'node:readline';

/** The service started as a process (`node dist/main.js`), read through its pino log on stdout. */
export interface ServiceProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<the port it reports listening on> */
  url: string;
  lines: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/**
 * Spawns `node <args>` and waits for the "go-profiler listening" line. env is the whole environment: pass PATH
 * and HOME explicitly, so that no KUBECONFIG or ~/.kube of the machine leaks in.
 */
export async function spawnService(node: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<ServiceProcess> {
  const child = spawn(node, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start; stderr: ${stderr}`)), 20_000);
    exited.then((code) => reject(new Error(`the service exited (${code}) before listening; stderr: ${stderr}`)));
    readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const entry = parseLogLine(line);
      lines.push(entry);
      if (entry.msg === 'go-profiler listening') {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${entry.port}`);
      }
    });
  });
  return { child, url, lines, exited };
}

function parseLogLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line);
  } catch {
    return { msg: line };
  }
}
