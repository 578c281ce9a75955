import fs from 'node:fs';
import path from 'node:path';
import { KEYS } from '../src/parameters/schema';
import { decodeProfile } from '../src/profile/decode';
import { RESULT } from '../src/result/answer';
import { goPprofTags, goPprofTool, goPprofTop } from './support/go-pprof';
import { GoTarget, startGoTarget } from './support/go-target';
import { request, serve } from './support/http-json';
import { RunningService, startService } from './support/service';

// `sources`: several real Go programs (test/fixtures/go-target) profiled in one request without Kubernetes,
// merged, and held to `go tool pprof` given the per-target files together. One source is down, one answers HTML.
let targets: GoTarget[];
let svc: RunningService;
let html: { url: string; close(): Promise<void> };
let down: string;

beforeAll(() => goPprofTool(), 180_000);

beforeAll(async () => {
  targets = await Promise.all([startGoTarget(), startGoTarget(), startGoTarget()]);
  svc = await startService({ MAX_TARGET_PODS: '5' });
  html = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'));
  const closed = await serve(() => undefined);
  down = closed.url;
  await closed.close();
}, 120_000);

afterAll(async () => {
  await svc?.stop();
  await html?.close();
  await Promise.all((targets ?? []).map((t) => t.stop()));
});

const post = (body: Record<string, unknown>) => request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.expirationSeconds]: '60', ...body } });
const urlOf = (base: string) => `${base}/`;

interface Listed {
  target: string;
  outcome: string;
  source?: string;
  reason?: string;
  total?: number;
  profile_path?: string;
}

test('heap of three programs, one down and one not a profile: 200, merged as pprof merges, each target with its outcome', async () => {
  const sources = [targets[0].url, targets[1].url, down, html.url, targets[2].url];
  const answer = await post({ [KEYS.type]: 'heap', [KEYS.sources]: sources.join(', ') });
  expect(answer.status).toBe(200);
  const body = answer.json();
  const listed = JSON.parse(body[`${RESULT}targets`]) as Listed[];
  expect(listed.map((t) => [t.target, t.outcome])).toEqual(sources.map((s, i) => [urlOf(s), i === 2 || i === 3 ? 'failed' : 'ok']));
  expect(listed[2].reason).toMatch(/ECONNREFUSED|refused/);
  expect(listed[3].reason).toMatch(/^reading profile: .*text\/html/);
  expect(listed.every((t) => t.source === t.target)).toBe(true);

  const files = listed.filter((t) => t.outcome === 'ok').map((t) => t.profile_path as string);
  expect(files.every((f) => fs.existsSync(f) && f.startsWith(svc.dataRoot))).toBe(true);
  const merged = body[`${RESULT}profile_path`];
  const together = await goPprofTop(files);
  expect(await goPprofTop(merged)).toEqual(together);
  const top = (await request(`${body[`${RESULT}viewer_url`]}/api/top`)).json();
  expect(top.total).toBe(together.total);
  expect(top.rows.map((r: { name: string; flat: number }) => [r.name, r.flat])).toEqual(together.rows.map((r) => [r.name, r.flat]));

  // Each target's total, in the answer and the summary, is its own file's, and pprof's -tags sees the label.
  const tags = await goPprofTags(merged);
  const summary = JSON.parse(body[`${RESULT}summary`]);
  for (const [i, t] of listed.filter((l) => l.outcome === 'ok').entries()) {
    const own = await goPprofTop(files[i]);
    expect(t.total).toBe(own.total);
    expect(tags.keys.source.values[t.target]).toBe(own.total);
    expect(summary.targets[i]).toEqual({ target: t.target, total: own.total, total_text: expect.any(String) });
  }
  expect(summary.total).toBe(together.total);
});

test('CPU profiles of several sources start together and cover the same window; durations add up as pprof merges them', async () => {
  const answer = await post({ [KEYS.type]: 'Profile', [KEYS.durationSeconds]: '2', [KEYS.sources]: targets.map((t) => t.url).join('\n') });
  expect(answer.status).toBe(200);
  const listed = JSON.parse(answer.json()[`${RESULT}targets`]) as Listed[];
  const own = listed.map((t) => decodeProfile(fs.readFileSync(t.profile_path as string), { maxBytes: 1 << 28 }));
  const starts = own.map((d) => d.timeNanos / 1e6);
  expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(500);
  const merged = decodeProfile(fs.readFileSync(answer.json()[`${RESULT}profile_path`]), { maxBytes: 1 << 28 });
  expect(merged.durationNanos).toBe(own.reduce((sum, d) => sum + d.durationNanos, 0));
  expect(merged.timeNanos).toBe(Math.min(...own.map((d) => d.timeNanos)));
}, 60_000);

test('every source failing is a 500 that names each with its reason', async () => {
  const answer = await post({ [KEYS.type]: 'heap', [KEYS.sources]: `${down} ${html.url}` });
  expect(answer.status).toBe(500);
  const { error } = answer.json();
  expect(error).toMatch(new RegExp(`^profiling 2 sources: every target failed: ${urlOf(down)}: .*refused.*; ${urlOf(html.url)}: reading profile: `));
});

test('a source whose profile is of another kind: 500 naming it and what differs, as pprof refuses the merge', async () => {
  const goroutines = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'goroutine.pb.gz'));
  const odd = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(goroutines));
  try {
    const answer = await post({ [KEYS.type]: 'heap', [KEYS.sources]: `${targets[0].url} ${odd.url}` });
    expect(answer.status).toBe(500);
    expect(answer.json().error.startsWith(`merging profiles: ${urlOf(odd.url)} has sample types [goroutine/count], unlike ${urlOf(targets[0].url)}'s [alloc_objects/count`)).toBe(true);
  } finally {
    await odd.close();
  }
});

test.each([
  ['source beside sources', { [KEYS.source]: 'http://127.0.0.1:1' }, KEYS.source, /is not used with sources/],
  ['target.selector beside sources', { [KEYS.targetSelector]: 'app=web' }, KEYS.targetSelector, /is not used with sources/],
  ['a collector other than http', { [KEYS.collector]: 'job' }, KEYS.collector, /must be http with sources/],
  ['job.port', { [KEYS.jobPort]: '6060' }, KEYS.jobPort, /is not used here/],
])('sources with %s: 400 naming the key', async (_name, extra, key, message) => {
  const answer = await post({ [KEYS.type]: 'heap', [KEYS.sources]: targets[0].url, ...extra });
  expect(answer.status).toBe(400);
  const detail = answer.json().details.find((d: { key: string }) => d.key === key);
  expect(detail?.message).toMatch(message);
});

test.each([
  ['a URL twice', (u: string) => `${u} ${u}`, /lists URL 2 .* twice/],
  ['something not a URL', (u: string) => `${u},ftp://x`, /URL 2 \("ftp:\/\/x"\), which is not an http:\/\/ or https:\/\/ URL/],
  ['more than MAX_TARGET_PODS', (u: string) => Array.from({ length: 6 }, (_, i) => `${u}/${i}`).join(' '), /lists 6 URLs, more than 5 \(MAX_TARGET_PODS\)/],
  ['only separators', () => ' , ', /lists no URL/],
  ['credentials in a URL', () => 'http://user:pw@127.0.0.1:1', /carries credentials/],
])('sources with %s: 400 naming sources', async (_name, make, message) => {
  const answer = await post({ [KEYS.type]: 'heap', [KEYS.sources]: make(targets[0].url) });
  expect(answer.status).toBe(400);
  expect(answer.json().details).toEqual([{ key: KEYS.sources, message: expect.stringMatching(message) }]);
});

test('an https source needs a Secret; with one, an http source is refused', async () => {
  const https = await post({ [KEYS.type]: 'heap', [KEYS.sources]: 'https://127.0.0.1:1' });
  expect(https.json().details).toEqual([{ key: KEYS.secretName, message: expect.stringMatching(/required for https sources/) }]);
  const mixed = await post({ [KEYS.type]: 'heap', [KEYS.sources]: `https://127.0.0.1:1 ${targets[0].url}`, [KEYS.secretName]: 'token' });
  expect(mixed.json().details).toEqual([{ key: KEYS.sources, message: expect.stringMatching(/an http URL .* beside a Secret/) }]);
});
