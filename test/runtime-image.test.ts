import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { COLLECTOR_COMMAND } from '../src/acquire/job/job-spec';
import { decodeFrame } from '../src/acquire/framing';
import { KEYS } from '../src/parameters/schema';
import { CopyStep, readDockerfile } from './support/dockerfile';
import { request, serve } from './support/http-json';
import { spawnService } from './support/service-process';

// There is no container engine here, so the runtime stage is rebuilt from the Dockerfile itself: every COPY of the
// final stage is carried out into a temporary folder, and the service and the collector run from there alone.
// A dependency missing at runtime, a file the stage forgets to copy or a wrong command fails these tests.
jest.setTimeout(240_000);

const ROOT = path.join(__dirname, '..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const HEAP = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'heap.pb.gz'));
const DOCKERFILE = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));
const runtime = stages[stages.length - 1];
/** Where the distroless Node.js images keep node; it is also their ENTRYPOINT. */
const BASE_IMAGE_NODE = '/nodejs/bin/node';

let tmp: string;
let app: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'go-profiler-image-'));
  const image = path.join(tmp, 'image');
  for (const copy of runtime.copies) carryOut(copy, image, stageFolders());
  app = path.join(image, runtime.workdir);
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * A local folder standing for each earlier stage's WORKDIR. `build` is this checkout: its commands (npm ci,
 * npm run build) are the ones `npm test` ran before jest started. Any other stage is rebuilt: its COPYs from the
 * context, then its RUN commands, in a folder outside the repo so that nothing resolves into our node_modules.
 */
function stageFolders(): Map<string, string> {
  const folders = new Map<string, string>();
  for (const stage of stages.slice(0, -1)) {
    if (!stage.name) continue;
    if (stage.name === 'build') {
      expect(stage.runs.at(-1)).toBe('npm run build');
      folders.set(stage.name, ROOT);
      continue;
    }
    const folder = path.join(tmp, 'stages', stage.name);
    fs.mkdirSync(folder, { recursive: true });
    for (const copy of stage.copies) {
      if (copy.from) throw new Error(`stage ${stage.name}: COPY --from is not emulated`);
      for (const source of copy.sources) fs.cpSync(path.join(ROOT, source), path.join(folder, source), { recursive: true });
    }
    for (const command of stage.runs) {
      const run = spawnSync('sh', ['-c', command], { cwd: folder, encoding: 'utf8', env: { ...process.env, ...stage.env } });
      if (run.status !== 0) throw new Error(`stage ${stage.name}: ${command} failed: ${run.stderr}`);
    }
    folders.set(stage.name, folder);
  }
  return folders;
}

function carryOut(copy: CopyStep, image: string, folders: Map<string, string>): void {
  const fromStage = stages.find((s) => s.name === copy.from);
  const folder = copy.from ? folders.get(copy.from) : undefined;
  if (!fromStage || !folder) throw new Error(`COPY ${copy.sources.join(' ')}: only COPY --from=<earlier stage> is emulated`);
  for (const source of copy.sources) {
    const relative = path.posix.relative(fromStage.workdir, path.posix.resolve(fromStage.workdir, source));
    if (relative.startsWith('..')) throw new Error(`COPY --from=${copy.from} ${source}: outside that stage's WORKDIR`);
    let dest = path.posix.resolve(runtime.workdir, copy.dest);
    if (copy.dest.endsWith('/')) dest = path.posix.join(dest, path.posix.basename(source));
    fs.cpSync(path.join(folder, relative), path.join(image, dest), { recursive: true });
  }
}

/** The image's environment, with host paths where the process runs here instead of in a container. */
function imageEnv(extra: Record<string, string>): Record<string, string> {
  return { ...runtime.env, PATH: process.env.PATH ?? '', HOME: path.join(tmp, 'home'), ...extra };
}

describe('the Dockerfile', () => {
  test('has no findings from dockerfile-utils and dockerfilelint', () => {
    expect(lintDockerfile(DOCKERFILE).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    const dockerfilelint = require('dockerfilelint') as { run(dir: string, content: string): Array<{ line: number; title: string }> };
    expect(dockerfilelint.run(ROOT, DOCKERFILE).map((i) => `line ${i.line}: ${i.title}`)).toEqual([]);
  });

  test('builds and runs on the Node.js major version the tests run on, LTS', () => {
    // The tests run on the node dev dependency package.json pins (npm puts its node first on PATH).
    const major = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies.node.split('.')[0];
    expect(Number(major) % 2).toBe(0); // even majors are the LTS lines
    for (const stage of stages.slice(0, -1)) expect(stage.image).toMatch(new RegExp(`^node:${major}-`));
    expect(runtime.image).toMatch(new RegExp(`^gcr\\.io/distroless/nodejs${major}-debian\\d+:nonroot$`));
  });

  test('runtime stage: non-root, no shell commands, node as the direct entry point', () => {
    expect(runtime.user).toMatch(/^[1-9][0-9]*(:[1-9][0-9]*)?$/);
    expect(runtime.runs).toEqual([]); // distroless has no shell to run them
    expect(runtime.entrypoint).toBeUndefined(); // the base image's: /nodejs/bin/node
    expect(Array.isArray(runtime.cmd) && runtime.cmd.join(' ')).toBe('dist/main.js');
    expect(DOCKERFILE).not.toMatch(/^(CMD|ENTRYPOINT).*npm/m);
    // The collector Job names `node` by PATH lookup in the container.
    expect(COLLECTOR_COMMAND[0]).toBe('node');
    expect(runtime.env.PATH.split(':')).toContain(path.posix.dirname(BASE_IMAGE_NODE));
  });

  test('.dockerignore keeps local dependencies, build output, data and VCS out of the build context', () => {
    const patterns = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(patterns).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', 'data']));
    // What the build stage needs stays in: nothing names the sources.
    const inputs = ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'scripts', 'web'];
    expect(patterns.filter((p) => inputs.some((i) => i === p || i.startsWith(`${p}/`)) || p.startsWith('!'))).toEqual([]);
  });
});

describe('the runtime stage, assembled', () => {
  test('holds the production dependencies and none of the build tools', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const installed = (name: string) => fs.existsSync(path.join(app, 'node_modules', name, 'package.json'));
    for (const name of Object.keys(pkg.dependencies)) expect([name, installed(name)]).toEqual([name, true]);
    for (const name of ['typescript', 'jest', 'ts-jest', 'esbuild', 'node', 'playwright-core']) expect([name, installed(name)]).toEqual([name, false]);
    expect(fs.existsSync(path.join(app, 'dist', 'main.js'))).toBe(true);
    expect(fs.existsSync(path.join(app, 'src'))).toBe(false);
  });

  test('runs the service end to end: profile, viewer, proxied viewer, SIGTERM exits 0', async () => {
    const source = await serve((req, res) => (req.url === '/debug/pprof/heap' ? res.writeHead(200).end(HEAP) : res.writeHead(404).end()));
    const svc = await spawnService(NODE, runtime.cmd as string[], {
      cwd: app,
      env: imageEnv({ PORT: '0', DATA_ROOT: path.join(tmp, 'data'), ADVERTISE_ADDRESS: '127.0.0.1', VIEWER_BIND_ADDRESS: '127.0.0.1' }),
    });
    try {
      const answer = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source.url, [KEYS.type]: 'Heap' } });
      expect(answer.status).toBe(200);
      const viewer = answer.json()['diagnoser.runtime.go_profiler.result.viewer_url'] as string;
      const page = await request(viewer);
      expect([page.status, page.headers['content-type']]).toEqual([200, expect.stringMatching(/^text\/html/)]);
      // The same viewer through the main port, as the central overlay's Service reaches it.
      const id = svc.lines.find((l) => l.msg === 'viewer opened')?.viewer;
      const proxied = await request(`${svc.url}/viewer/${id}/api/profile`);
      expect(proxied.status).toBe(200);
      expect(proxied.json()).toEqual(expect.objectContaining({ sampleTypes: expect.any(Array) }));
      svc.child.kill('SIGTERM');
      expect(await svc.exited).toBe(0);
    } finally {
      svc.child.kill('SIGKILL');
      await source.close();
    }
  });

  test("runs the Job collector with the collector Job's command", async () => {
    const source = await serve((_req, res) => res.writeHead(200).end(HEAP));
    try {
      const [, ...args] = COLLECTOR_COMMAND;
      const run = await runToEnd(NODE, [...args, '--url', `${source.url}/debug/pprof/heap`, '--timeout-seconds', '10', '--max-bytes', '10000000'], app);
      expect([run.code, run.stderr]).toEqual([0, '']);
      expect(decodeFrame(run.stdout, 10_000_000).equals(HEAP)).toBe(true);
    } finally {
      await source.close();
    }
  });
});

function runToEnd(node: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(node, args, { cwd, env: imageEnv({}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
