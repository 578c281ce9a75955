import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { KubeProvider } from '../src/acquire/kube/clients';
import { UpstreamError } from '../src/errors';
import { KEYS } from '../src/parameters/schema';
import { GoTarget, REPO_ROOT, startGoTarget } from './support/go-target';
import { request, serve } from './support/http-json';
import { RunningService, startService } from './support/service';

// schemathesis (PyPI; pinned in test/schemathesis/requirements.txt, installed by scripts/ensure-test-tools.sh)
// runs openapi.yaml against the running service: every operation, the viewer's API on a live viewer, the spec's
// examples; each answer's status, content type, headers and body must be what the spec documents for it.
// Its settings, and why each check that is left out does not apply, are in test/schemathesis/schemathesis.toml.

const SCHEMATHESIS = path.join(REPO_ROOT, '.cache', 'schemathesis-venv', 'bin', 'schemathesis');
const CONFIG = path.join('test', 'schemathesis', 'schemathesis.toml');
const RUN_TIMEOUT_MS = 10 * 60_000;
const doc = yaml.load(fs.readFileSync(path.join(REPO_ROOT, 'openapi.yaml'), 'utf8')) as any;

// The real service's answer when no cluster is configured: job and proxy requests are a 500 that says so.
const NO_CLUSTER: KubeProvider = {
  configured: false,
  clients() {
    throw new UpstreamError('no Kubernetes cluster is configured (no KUBECONFIG, no ~/.kube/config, not running in a pod)');
  },
};

// Where the fuzzed processor requests fetch from (hooks.py points every generated source here): the real Go
// profiles of test/fixtures/profiles under /debug/pprof/<name>, at once. The Go target would take a Profile
// request's duration_seconds, up to an hour, to answer.
const FIXTURES = path.join(__dirname, 'fixtures', 'profiles');
const FIXTURE_OF: Record<string, string> = {
  profile: 'cpu.pb.gz',
  heap: 'heap.pb.gz',
  goroutine: 'goroutine.pb.gz',
  allocs: 'allocs.pb.gz',
  block: 'block.pb.gz',
  mutex: 'mutex.pb.gz',
  threadcreate: 'threadcreate.pb.gz',
};

function fixtureSource(req: { url?: string }, res: import('node:http').ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://source');
  const name = /\/debug\/pprof\/([a-z]+)$/.exec(url.pathname)?.[1] ?? '';
  const dump = name === 'goroutine' && url.searchParams.get('debug') === '2';
  const file = dump ? 'goroutine-debug2.txt' : FIXTURE_OF[name];
  if (!file) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
  res.writeHead(200, { 'content-type': dump ? 'text/plain; charset=utf-8' : 'application/octet-stream' });
  res.end(fs.readFileSync(path.join(FIXTURES, file)));
}

let goTarget: GoTarget;
let source: Awaited<ReturnType<typeof serve>>;
let svc: RunningService;
const viewers = { heap: '', goroutine: '' };
/** The heap viewer's stored profile: every {profileId} is its (the history's routes). */
let profileId = '';

/** A live viewer on the Go target's profile, opened the way KubeDiag opens one; its id from the answer. */
async function openViewer(type: string): Promise<string> {
  const body = { [KEYS.source]: goTarget.url, [KEYS.type]: type, [KEYS.expirationSeconds]: '3600' };
  const answer = await request(`${svc.url}/processor/goProfiler`, { body });
  expect(answer.status).toBe(200);
  const id = /\/viewer\/([0-9a-f]{32})\/$/.exec(answer.json()['diagnoser.runtime.go_profiler.result.viewer_url'])?.[1];
  expect(id).toBeDefined();
  profileId ||= answer.json()['diagnoser.runtime.go_profiler.result.profile_id'];
  return id as string;
}

beforeAll(async () => {
  goTarget = await startGoTarget();
  source = await serve(fixtureSource);
  // PUBLIC_BASE_URL: answers name /viewer/<id>/, the main port's path to a viewer that openapi.yaml describes.
  // FETCH_ALLOW_CIDRS: loopback only, in case a generated source ever got past hooks.py.
  svc = await startService({ PUBLIC_BASE_URL: 'http://go-profiler.invalid', FETCH_ALLOW_CIDRS: '127.0.0.1/32', MAX_VIEWERS: '16' }, NO_CLUSTER);
  viewers.heap = await openViewer('Heap');
  viewers.goroutine = await openViewer('Goroutine');
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  await source?.close();
  await goTarget?.stop();
});

interface Run {
  code: number | null;
  output: string;
  report: any;
  har: { log: { entries: Array<{ request: { method: string; url: string }; response: { status: number } }> } };
}

/** Runs schemathesis to its end (without blocking this process: the service answers from it). */
async function schemathesis(): Promise<Run> {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'schemathesis-'));
  const json = path.join(reports, 'report.json');
  const har = path.join(reports, 'requests.har');
  const args = ['--config-file', CONFIG, 'run', 'openapi.yaml', '--url', svc.url, '--no-color'];
  args.push('--report', 'json,har', '--report-json-path', json, '--report-har-path', har);
  const env = {
    ...process.env,
    VIEWER_ID: viewers.heap,
    GOROUTINE_VIEWER_ID: viewers.goroutine,
    PROFILE_ID: profileId,
    GO_PROFILER_SOURCE: source.url,
    // Nothing of Python's or Hypothesis' in the checkout.
    PYTHONDONTWRITEBYTECODE: '1',
    HYPOTHESIS_STORAGE_DIRECTORY: path.join(reports, 'hypothesis'),
  };
  try {
    const child = spawn(SCHEMATHESIS, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`${SCHEMATHESIS}: ${error.message} (scripts/ensure-test-tools.sh installs it)`)));
      child.once('close', resolve);
    });
    const read = (file: string) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined);
    return { code, output, report: read(json), har: read(har) };
  } finally {
    fs.rmSync(reports, { recursive: true, force: true });
  }
}

/** What schemathesis says went wrong, lines cut short (a reproducing curl can be 30 KB of zoom=). */
function failures(output: string): string {
  const from = output.search(/^=+ (FAILURES|ERRORS) =+$/m);
  if (from < 0) return '';
  const to = output.search(/^=+ SUMMARY =+$/m);
  return output.slice(from, to < 0 ? undefined : to).split('\n').map((line) => (line.length > 400 ? `${line.slice(0, 400)} ...` : line)).join('\n');
}

/** "GET /viewer/{id}/api/top" for each operation openapi.yaml declares. */
function declaredOperations(): string[] {
  return Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${p}`));
}

/** The declared operation a request went to, by its path with the viewer's id put back as {id}. */
function operationOf(method: string, url: string): string {
  const route = new URL(url).pathname.replace(/^\/viewer\/[0-9a-f]{32}\//, '/viewer/{id}/').replace(/^\/profiles\/[0-9a-f]{32}(?=\/|$)/, '/profiles/{profileId}');
  return `${method} ${route}`;
}

test('schemathesis finds every operation, the viewer API on live viewers included, as openapi.yaml documents it', async () => {
  const run = await schemathesis();
  expect({ exitCode: run.code, failures: failures(run.output) }).toEqual({ exitCode: 0, failures: '' });
  expect(run.report).toBeDefined();
  const { operations, phases, test_cases: cases } = run.report;
  expect(operations).toMatchObject({ total: declaredOperations().length, tested: declaredOperations().length, errored: 0, skipped: 0 });
  expect(cases).toMatchObject({ with_failures: 0, errored: 0 });
  expect(run.report.errors).toEqual([]);
  // The spec's examples, boundary values and fuzzing all ran; the stateful phase runs over links, which the spec
  // does not declare and schemathesis may infer (the history's ids): it succeeds or has nothing to do.
  expect(phases).toMatchObject({ examples: { status: 'success' }, coverage: { status: 'success' }, fuzzing: { status: 'success' } });
  expect([{ status: 'success', skip_reason: null }, { status: 'skip', skip_reason: 'not_applicable' }]).toContainEqual({ status: phases.stateful.status, skip_reason: phases.stateful.skip_reason });

  // Every operation was reached and answered with its success at least once: the viewer ids were live ones, and
  // the success bodies, not only the errors, were checked against their schemas.
  const succeeded = new Set(run.har.log.entries.filter((e) => e.response.status < 300).map((e) => operationOf(e.request.method, e.request.url)));
  expect(declaredOperations().filter((operation) => !succeeded.has(operation))).toEqual([]);
  // No answer came from an exception the service did not expect (hooks.py's check says so for each answer too).
  expect(svc.logs().filter((line) => line.msg === 'unexpected error')).toEqual([]);
}, RUN_TIMEOUT_MS);
