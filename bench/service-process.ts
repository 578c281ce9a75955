import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const ROOT = path.join(__dirname, '..');

/** The built service as its own process (as in production), on a free port, quiet; nodeArgs go before the script. */
export async function startServiceProcess(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-bench-'));
  const child = spawn(path.join(ROOT, 'node_modules/.bin/node'), [...nodeArgs, 'dist/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: home, PORT: '0', DATA_ROOT: path.join(home, 'data'), ADVERTISE_ADDRESS: '127.0.0.1', VIEWER_BIND_ADDRESS: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the service did not start')), 20_000);
    const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const entry = JSON.parse(line);
      if (entry.msg === 'go-profiler listening') {
        clearTimeout(timer);
        // From here on the log is drained unread: under load, parsing every line would cost the bench's own CPU.
        lines.close();
        child.stdout?.resume();
        resolve(`http://127.0.0.1:${entry.port}`);
      }
    });
  });
  return {
    url,
    child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
