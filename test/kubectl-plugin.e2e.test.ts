import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { COLLECTOR_IMAGE, REPO_ROOT } from './support/cluster/paths';
import { goTargetPodSpec } from './support/cluster/go-target-pod';
import { useProfilerOnCluster } from './support/cluster/profiler-on-cluster';
import { goPprofTool, goPprofTop } from './support/go-pprof';
import { buildGoTarget, goEnv } from './support/go-target';
import { goOffline, launchBrowser, screenshot, waitForFlame, watchProblems } from './support/browser';
import { request } from './support/http-json';

// `kubectl go-profiler` as a person runs it: the built plugin (dist/plugin/main.js, what `npm install -g` puts on
// the PATH as kubectl-go_profiler) run as a process, against the real control plane, as a developer whose only
// rights are plugins/rbac.yaml's Role in the namespace of the Go target pod apps/gotarget (node-a). Its collector
// Jobs run in that namespace, through the real Job controller; the node agent (the one stand-in: no container
// runtime) runs the collector image's `node dist/collect.js` for their pods.
const execFileAsync = promisify(execFile);
const c = useProfilerOnCluster();
const PLUGIN = path.join(REPO_ROOT, 'dist', 'plugin', 'main.js');
const NODE22 = path.join(REPO_ROOT, 'node_modules', '.bin');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-plugin-'));
let kubeconfig: string;

beforeAll(() => goPprofTool(), 180_000);
beforeAll(async () => {
  await c.cluster.apply(fs.readFileSync(path.join(REPO_ROOT, 'plugins', 'rbac.yaml'), 'utf8').replace('name: kubectl-go-profiler\n', 'name: kubectl-go-profiler\n  namespace: apps\n'));
  await c.cluster.kubectl(['-n', 'apps', 'create', 'serviceaccount', 'developer']).catch(() => undefined);
  await c.cluster.kubectl(['-n', 'apps', 'create', 'rolebinding', 'developer-go-profiler', '--role=kubectl-go-profiler', '--serviceaccount=apps:developer']).catch(() => undefined);
  kubeconfig = await c.cluster.serviceAccountKubeconfig('apps', 'developer');
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(async () => expect(await jobsLeft()).toEqual([]), 40_000);

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function env(): NodeJS.ProcessEnv {
  return { PATH: `${NODE22}:${process.env.PATH}`, HOME: dir, KUBECONFIG: kubeconfig, GO_PROFILER_IMAGE: COLLECTOR_IMAGE };
}

function start(args: string[]): { child: ChildProcess; done: Promise<Run>; stderr: () => string } {
  const child = spawn(path.join(NODE22, 'node'), [PLUGIN, ...args], { env: env(), cwd: dir });
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err })));
  return { child, done, stderr: () => err };
}

const run = (...args: string[]) => start(args).done;

// The Go target's heap: main.allocBig retains its 24 MiB (a shared pod, whose runtime may attribute a few bytes
// more to it between two captures: the exact number is go tool pprof's, compared elsewhere).
function expectAllocBig(row: { name: string; flat: number } | undefined): void {
  expect(row?.name).toBe('main.allocBig');
  expect(row?.flat).toBeGreaterThanOrEqual(24 << 20);
  expect(row?.flat).toBeLessThan((24 << 20) + (1 << 16));
}
const file = (name: string) => path.join(dir, name);

/** The collector Jobs of the plugin left in apps (the garbage collector takes a moment with their pods). */
async function jobsLeft(): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const names = (await c.cluster.getJson(['-n', 'apps', 'get', 'jobs'])).items.map((j: { metadata: { name: string } }) => j.metadata.name);
    if (names.length === 0 || Date.now() > deadline) return names;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('every output format, through a Job on the pod\'s node', () => {
  test('-o flamegraph.svg (the default name): the flame graph of the heap, with main.allocBig its widest program frame; progress on stderr', async () => {
    const result = await run('-t', 'heap', 'apps', 'gotarget', 'app');
    expect([result.code, result.stdout.length]).toEqual([0, 0]);
    const svg = fs.readFileSync(file('flamegraph.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml|^<svg/);
    expect(svg).toContain('<title>main.allocBig (');
    expect(svg).toContain('Heap profile: inuse_space');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe('Profiling pod apps/gotarget (container app) (Heap) with the job collector');
    expect(lines).toContainEqual(expect.stringMatching(/^Job apps\/go-profiler-heap-[0-9a-f]{8} created, for node node-a$/));
    expect(lines).toContainEqual(expect.stringMatching(/^Pod go-profiler-heap-[0-9a-f]{8}-\w+: (Pending|Running|Succeeded)/));
    expect(lines).toContainEqual(expect.stringMatching(/^Brought back [\d.]+ (bytes|KiB)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^Job apps\/go-profiler-heap-[0-9a-f]{8} deleted$/));
    expect(lines.at(-1)).toMatch(/^Wrote flamegraph\.svg \([\d.]+ KiB\)$/);
  }, 90_000);

  test('-o heap.pb.gz: the raw profile, which go tool pprof reads; -o top.json: the top table, as the viewer gives it', async () => {
    expect((await run('-q', '-t', 'heap', '-o', 'heap.pb.gz', 'apps', 'gotarget')).code).toBe(0);
    const reference = await goPprofTop(file('heap.pb.gz'));
    expectAllocBig(reference.rows[0]);
    const quiet = await run('-q', '-t', 'heap', '-o', 'top.json', 'apps', 'gotarget');
    expect([quiet.code, quiet.stderr]).toEqual([0, '']);
    const top = JSON.parse(fs.readFileSync(file('top.json'), 'utf8'));
    expectAllocBig(top.rows[0]);
    expect(top.sampleType).toBe('inuse_space');
  }, 90_000);

  test('-o -: the raw profile on stdout and nothing else there', async () => {
    const result = await run('-t', 'goroutine', '-o', '-', 'apps', 'gotarget');
    expect(result.code).toBe(0);
    fs.writeFileSync(file('stdout.pb.gz'), result.stdout);
    expect(result.stdout.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const reference = await goPprofTop(file('stdout.pb.gz'));
    expect(reference.rows.find((r) => r.name === 'main.waitOnChannel')?.cum).toBe(7);
    expect(result.stderr).toMatch(/Wrote [\d.]+ (bytes|KiB) to stdout\n$/);
  }, 90_000);

  test('-o profile.html: the whole viewer in one file, which Chromium opens from disk with the network off', async () => {
    const result = await run('-t', 'heap', '-o', 'profile.html', 'apps', 'gotarget');
    expect(result.code).toBe(0);
    const html = fs.readFileSync(file('profile.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const browser = await launchBrowser();
    let attempted: string[] = [];
    try {
      attempted = await goOffline(browser);
      const page = await browser.context.newPage();
      const problems = watchProblems(page);
      await page.goto(pathToFileURL(file('profile.html')).href);
      await waitForFlame(page);
      await page.locator('#top-body tr').first().waitFor();
      expect(await page.locator('#top-body tr td').allTextContents()).toContain('main.allocBig');
      await screenshot(page, 'kubectl-plugin-offline-html');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
    expect(attempted).toEqual([]);
  }, 120_000);

  test('a CPU profile says how long it takes and counts down', async () => {
    const result = await run('-d', '2s', '-o', 'cpu.pb.gz', 'apps', 'gotarget');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('(Profile, 2 s) with the job collector');
    expect(result.stderr).toContain('Taking a 2 s CPU profile');
    const reference = await goPprofTop(file('cpu.pb.gz'));
    expect(reference.rows.some((r) => r.name === 'main.hashLoop')).toBe(true);
  }, 90_000);
});

describe('the other collectors and fronts', () => {
  test('--collector proxy: through the API server\'s pods/proxy, no Job', async () => {
    const mark = c.cluster.mark();
    const result = await run('--collector', 'proxy', '-t', 'heap', '-o', 'proxy.pb.gz', 'apps', 'gotarget');
    expect(result.code).toBe(0);
    expect((await goPprofTop(file('proxy.pb.gz'))).rows[0].name).toBe('main.allocBig');
    expect(c.cluster.events(mark, (e) => e.objectRef?.resource === 'jobs' && e.verb === 'create' && e.user.username.endsWith(':developer'))).toEqual([]);
    expect(c.cluster.events(mark, (e) => e.objectRef?.subresource === 'proxy' && e.user.username.endsWith(':developer')).length).toBeGreaterThan(0);
  }, 60_000);

  test('--collector direct: the pod IP, fetched from here', async () => {
    const result = await run('--collector', 'direct', '-t', 'heap', '-o', 'direct.json', 'apps', 'gotarget');
    expect(result.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(file('direct.json'), 'utf8')).rows[0].name).toBe('main.allocBig');
  }, 60_000);

  test('-l SELECTOR: every pod it matches, merged, as the service merges them', async () => {
    const result = await run('-l', 'app=gotarget', '-n', 'apps', '--collector', 'proxy', '-t', 'heap', '-o', 'pods.pb.gz');
    expect(result.code).toBe(0);
    expectAllocBig((await goPprofTop(file('pods.pb.gz'), { tagFocus: 'pod=gotarget' })).rows[0]);
  }, 60_000);

  test('<namespace> service/NAME: the pods of a workload, by its selector', async () => {
    await c.cluster.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gotarget', namespace: 'apps' }, spec: { selector: { app: 'gotarget' }, ports: [{ port: 6060 }] } }));
    try {
      const result = await run('--collector', 'proxy', '-t', 'heap', '-o', 'service.pb.gz', 'apps', 'service/gotarget');
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('Profiling apps/service/gotarget (Heap) with the proxy collector');
      expectAllocBig((await goPprofTop(file('service.pb.gz'), { tagFocus: 'pod=gotarget' })).rows[0]);
    } finally {
      await c.cluster.kubectl(['-n', 'apps', 'delete', 'service', 'gotarget', '--ignore-not-found']);
    }
  }, 60_000);

  test('--serve: the full viewer on localhost until Ctrl-C, its address on stdout', async () => {
    const serving = start(['--serve', '127.0.0.1:0', '-t', 'heap', 'apps', 'gotarget']);
    let stdout = '';
    serving.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await until(() => /^http:\/\/127\.0\.0\.1:\d+\/\n/.test(stdout), 'the viewer address', 60_000);
    const url = stdout.trim();
    const top = (await request(`${url}api/top`)).json();
    expect(top.rows[0].name).toBe('main.allocBig');
    expect((await request(url)).body.toString()).toContain('<html');
    serving.child.kill('SIGINT');
    const done = await serving.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain(`Serving the viewer at ${url}; Ctrl-C stops it`);
  }, 90_000);

  test('--via: a running go-profiler does the work; its viewer\'s address on stdout', async () => {
    const result = await run('--via', c.svc.url, '-t', 'heap', 'apps', 'gotarget', 'app');
    expect(result.code).toBe(0);
    const viewer = result.stdout.toString().trim();
    expect(viewer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await request(`${viewer}/api/top`)).json().rows[0].name).toBe('main.allocBig');
    expect(result.stderr).toMatch(/Visit http:\/\/127\.0\.0\.1:\d+, this server will expire in \d+ seconds\./);
    // The service's own Job ran in its namespace, as for any request; none of the developer's.
    expect((await c.nothingLeft()).jobs).toEqual([]);
  }, 90_000);
});

describe('failures: one line on stderr, exit 1; bad flags: exit 2', () => {
  test('a pod that does not exist', async () => {
    const result = await run('-t', 'heap', 'apps', 'nope');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^kubectl-go_profiler: .*pod apps\/nope.*(not found|does not exist)/);
  }, 30_000);

  test('a container the pod does not run', async () => {
    const result = await run('-t', 'heap', 'apps', 'gotarget', 'sidecar');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe('kubectl-go_profiler: finding the target: pod apps/gotarget has no container sidecar');
  }, 30_000);

  test('a container that is not running (its image cannot be pulled): the pod\'s phase and the container\'s reason', async () => {
    const spec = goTargetPodSpec(await buildGoTarget(), { node: 'node-a', cpuDuty: 5 });
    spec.containers[0].image = 'registry.invalid/gotarget:none';
    await c.cluster.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'broken', namespace: 'apps' }, spec }));
    try {
      await c.cluster.kubectl(['-n', 'apps', 'wait', 'pod/broken', '--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=ImagePullBackOff', '--timeout=30s']);
      const result = await run('-t', 'heap', 'apps', 'broken', 'app');
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n').at(-1)).toBe('kubectl-go_profiler: finding the target: pod apps/broken is Pending, not Running: container app is not running (ImagePullBackOff)');
    } finally {
      await c.cluster.kubectl(['-n', 'apps', 'delete', 'pod', 'broken', '--ignore-not-found', '--wait=false']);
    }
  }, 60_000);

  test('a node where the collector Job cannot start (its image cannot be pulled): the pod\'s reason, and no Job left', async () => {
    const result = await run('-t', 'heap', '-i', 'registry.invalid/go-profiler:none', '--timeout', '60s', 'apps', 'gotarget');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Pod go-profiler-heap-\w+-\w+: Pending \((ErrImagePull|ImagePullBackOff)\) on node-a/);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^kubectl-go_profiler: collecting with Job apps\/go-profiler-heap-\w+ on node node-a: .*(ErrImagePull|ImagePullBackOff)/);
  }, 90_000);

  test('Ctrl-C in the middle of a CPU profile: stopped, exit 130, the Job deleted', async () => {
    const running = start(['-d', '60s', 'apps', 'gotarget']);
    await until(() => /Pod go-profiler-profile-\w+-\w+: Running/.test(running.stderr()), 'the collector pod to run', 60_000);
    expect((await c.cluster.getJson(['-n', 'apps', 'get', 'jobs'])).items).toHaveLength(1);
    running.child.kill('SIGINT');
    const done = await running.done;
    expect(done.code).toBe(130);
    expect(done.stderr).toMatch(/Job apps\/go-profiler-profile-\w+ deleted\nInterrupted: stopped, and the collector Job deleted\n$/);
    expect(fs.existsSync(file('flamegraph.svg')) && fs.statSync(file('flamegraph.svg')).mtimeMs > Date.now() - 5_000).toBe(false);
  }, 90_000);

  test.each([
    [['--type', 'cpuu', 'apps', 'gotarget'], /unknown --type "cpuu"/],
    [['-o', 'out.png', 'apps', 'gotarget'], /-o "out.png": the extension says the format/],
    [['--collector', 'ssh', 'apps', 'gotarget'], /unknown --collector "ssh"/],
    [['--bogus'], /Unknown option '--bogus'/],
    [[], /which pod\?/],
    [['-l', 'app in (', '-n', 'apps'], /--selector: /],
  ])('%j: exit 2, the usage hint', async (args, message) => {
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Run kubectl go-profiler --help for the flags.');
  }, 30_000);
});

describe('installed as a kubectl plugin', () => {
  test('npm install -g puts kubectl-go_profiler on the PATH, and kubectl finds it as `kubectl go-profiler`; npx runs it too', async () => {
    const prefix = path.join(dir, 'global');
    await execFileAsync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--offline', REPO_ROOT], { env: { ...process.env, PATH: `${NODE22}:${process.env.PATH}` } });
    const bin = path.join(prefix, 'bin');
    expect(fs.existsSync(path.join(bin, 'kubectl-go_profiler'))).toBe(true);
    const kubectl = c.cluster.info.kubectl as string;
    const { stdout } = await execFileAsync(kubectl, ['plugin', 'list'], { env: { ...env(), PATH: `${bin}:${NODE22}:${process.env.PATH}` } });
    expect(stdout).toContain(path.join(bin, 'kubectl-go_profiler'));
    const help = await execFileAsync(kubectl, ['go-profiler', '--help'], { env: { ...env(), PATH: `${bin}:${NODE22}:${process.env.PATH}` } });
    expect(help.stdout).toContain('kubectl go-profiler [flags] <namespace> <pod> [container]');
    // npx runs it from the package too, without installing it.
    const npx = await execFileAsync('npx', ['--yes', `--package=${REPO_ROOT}`, 'kubectl-go_profiler', '--help'], { env: { ...env(), PATH: `${NODE22}:${process.env.PATH}` } });
    expect(npx.stdout).toContain('kubectl go-profiler [flags] <namespace> <pod> [container]');
    const result = await execFileAsync(kubectl, ['go-profiler', '-q', '-t', 'heap', '-o', file('via-kubectl.json'), 'apps', 'gotarget'], { env: { ...env(), PATH: `${bin}:${NODE22}:${process.env.PATH}` } });
    expect(result.stderr).toBe('');
    expect(JSON.parse(fs.readFileSync(file('via-kubectl.json'), 'utf8')).rows[0].name).toBe('main.allocBig');
  }, 120_000);
});

describe('the single executable (npm run build:plugin), installed by krew from its archive', () => {
  const release = path.join(REPO_ROOT, 'dist', 'plugin-release');
  const krewRoot = path.join(dir, 'krew');
  const krew = path.join(dir, 'gobin', 'krew');
  const archive = path.join(release, 'kubectl-go_profiler-linux-amd64.tar.gz');
  let installed: { stdout: string; stderr: string };

  beforeAll(async () => {
    await execFileAsync(path.join(NODE22, 'node'), [path.join(REPO_ROOT, 'scripts', 'build-plugin.js')], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
    // krew itself, from its Go module (the proxy serves it): what people install plugins with.
    await execFileAsync('go', ['install', 'sigs.k8s.io/krew/cmd/krew@v0.4.3'], { env: { ...goEnv(), GOPROXY: process.env.GOPROXY ?? 'https://proxy.golang.org', GOBIN: path.dirname(krew) } });
    installed = await execFileAsync(krew, ['install', `--manifest=${path.join(release, 'go-profiler.yaml')}`, `--archive=${archive}`], { env: { ...process.env, KREW_ROOT: krewRoot, HOME: dir } });
  }, 600_000);

  test('the manifest is plugins/go-profiler.yaml with the archive\'s sha256; krew installs it from the archive, checking that', async () => {
    const built = fs.readFileSync(path.join(release, 'go-profiler.yaml'), 'utf8');
    const template = fs.readFileSync(path.join(REPO_ROOT, 'plugins', 'go-profiler.yaml'), 'utf8');
    expect(built.replace(/sha256: [0-9a-f]{64}/, 'sha256: X')).toBe(template.replace(/sha256: [0-9a-f]{64}/, 'sha256: X'));
    expect(installed.stderr + installed.stdout).toMatch(/Installed plugin: go-profiler/);
    // The template's placeholder checksum is refused: krew verifies the archive.
    const refused = await execFileAsync(krew, ['install', `--manifest=${path.join(REPO_ROOT, 'plugins', 'go-profiler.yaml')}`, `--archive=${archive}`], { env: { ...process.env, KREW_ROOT: path.join(dir, 'krew-refused'), HOME: dir } }).then(() => 'installed', (error: { stderr: string }) => error.stderr);
    expect(refused).toMatch(/checksum does not match/);
  }, 120_000);

  test('kubectl finds it, and it profiles the pod with no Node.js on the PATH (assets unpacked once into ~/.cache)', async () => {
    const bin = path.join(krewRoot, 'bin');
    const bare = { HOME: dir, KUBECONFIG: kubeconfig, GO_PROFILER_IMAGE: COLLECTOR_IMAGE, PATH: bin };
    expect((await execFileAsync('/bin/sh', ['-c', 'command -v node || echo none'], { env: bare })).stdout.trim()).toBe('none');
    const kubectl = c.cluster.info.kubectl as string;
    const result = await execFileAsync(kubectl, ['go-profiler', '-t', 'heap', '-o', file('sea.json'), 'apps', 'gotarget'], { env: bare });
    expect(result.stderr).toMatch(/Wrote .*sea\.json/);
    expectAllocBig(JSON.parse(fs.readFileSync(file('sea.json'), 'utf8')).rows[0]);
    const unpacked = fs.readdirSync(path.join(dir, '.cache', 'kubectl-go-profiler'));
    expect(unpacked).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, '.cache', 'kubectl-go-profiler', unpacked[0], 'dist', 'workers', 'analyze-worker.js'))).toBe(true);
  }, 120_000);
});

