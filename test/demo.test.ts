import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { request } from './support/http-json';

// `npm run demo` as a newcomer runs it (it builds, then starts everything), in its own process group so that the
// end is a real Ctrl-C: SIGINT to the whole group, as a terminal sends it.
jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '..');

interface Demo {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function startDemo(home: string): Promise<Demo> {
  // Ports 0: whatever is free, so the test never meets a demo or service someone left running.
  const child = spawn('npm', ['run', 'demo'], {
    cwd: ROOT,
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: home, PORT: '0', DEMO_PPROF_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    exited.then((code) => reject(new Error(`the demo exited (${code}) before it was ready:\n${output.join('\n')}\n${stderr}`)));
    readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      output.push(line);
      if (line === 'Ctrl-C stops the demo.') resolve({ child, output, exited });
    });
  });
}

test('npm run demo: Heap, CPU and Goroutine viewers that answer, a curl to try, and Ctrl-C ends it all', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-demo-home-'));
  const demo = await startDemo(home);
  try {
    const visits = demo.output.flatMap((line) => {
      const match = /^(\w+)\s+Visit (http:\/\/\S+), this server will expire in 3600 seconds\.$/.exec(line);
      return match ? [{ type: match[1], url: match[2] }] : [];
    });
    expect(visits.map((v) => v.type)).toEqual(['Heap', 'Profile', 'Goroutine']);
    for (const visit of visits) {
      const page = await request(`${visit.url}/`);
      expect([visit.type, page.status, page.headers['content-type']]).toEqual([visit.type, 200, expect.stringMatching(/^text\/html/)]);
      const info = await request(`${visit.url}/api/profile`);
      expect(info.json().type).toBe(visit.type);
    }

    // The curl line it prints works as printed.
    const curl = demo.output.find((line) => line.trim().startsWith('curl '));
    const asked = spawnSync('sh', ['-c', String(curl)], { encoding: 'utf8' });
    expect(asked.status).toBe(0);
    expect(JSON.parse(asked.stdout)['diagnoser.runtime.go_profiler.result.endpoint']).toMatch(/^Visit http:\/\/127\.0\.0\.1:\d+, /);

    process.kill(-(demo.child.pid as number), 'SIGINT');
    await demo.exited;
    expect(demo.output).toContain('Stopping the demo.');
    // Nothing is left listening: the service and its viewers went with the demo.
    for (const visit of visits) await expect(request(`${visit.url}/`)).rejects.toThrow(/ECONNREFUSED/);
    const service = /go-profiler:\s+(http:\/\/\S+)\/processor/.exec(demo.output.join('\n'))?.[1];
    await expect(request(`${service}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  } finally {
    // Whatever of the group is still there (nothing, when the demo ended as it should).
    try {
      process.kill(-(demo.child.pid as number), 'SIGKILL');
    } catch {
      // ESRCH: the whole group is gone
    }
    fs.rmSync(home, { recursive: true, force: true });
  }
});
