import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import yaml from 'js-yaml';
import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { goPprofDot, goPprofPeek, goPprofTool, goPprofTop, GoPprofOptions } from './support/go-pprof';
import { goPprofFiles } from './support/go-pprof-files';
import { GoTarget, startGoTarget } from './support/go-target';
import { request, serve } from './support/http-json';
import { RunningService, startService } from './support/service';

// Before and after: two real captures of the real Go target, whose GET /change retains 4 MiB more in
// main.allocSession, frees main.allocSmall's 8 MiB and leaks 40 more goroutines in main.leakRequest. Every number
// the viewer's API and the answer give for the diff is held to `go tool pprof -diff_base=BASE NEW` on the stored
// files.
let target: GoTarget;
let canary: GoTarget;
let svc: RunningService;

beforeAll(() => goPprofTool(), 180_000);
beforeAll(async () => {
  [target, canary, svc] = await Promise.all([startGoTarget({ cpuDuty: 5 }), startGoTarget({ cpuDuty: 5 }), startService()]);
}, 180_000);
afterAll(async () => {
  await svc?.stop();
  await Promise.all([target?.stop(), canary?.stop()]);
});

type Body = Record<string, string>;
const post = (params: Record<string, unknown>) => request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.expirationSeconds]: '120', ...params } });
const change = async (t: GoTarget) => expect((await request(`${t.url}/change`)).status).toBe(200);

async function capture(type: string, extra: Record<string, unknown> = {}, source = target.url): Promise<Body> {
  const answer = await post({ ...(source ? { [KEYS.source]: source } : {}), [KEYS.type]: type, ...extra });
  if (answer.status !== 200) throw new Error(`${answer.status}: ${answer.body.toString()}`);
  return answer.json();
}

const api = async (body: Body, route: string, params: Record<string, string> = {}) => {
  const answer = await request(`${body[`${RESULT}viewer_url`].replace(/\/$/, '')}/${route}?${new URLSearchParams(params)}`);
  expect(answer.status).toBe(200);
  return answer.json();
};

const doc = yaml.load(fs.readFileSync(path.join(__dirname, '..', 'openapi.yaml'), 'utf8')) as object;
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(doc, 'openapi');
function expectValid(name: string, value: unknown) {
  const validate = ajv.getSchema(`openapi#/components/schemas/${name}`) as ReturnType<Ajv['compile']>;
  expect(validate(value) ? [] : validate.errors).toEqual([]);
}

const rows = (top: { rows: Array<{ name: string; flat: number; cum: number }> }) => top.rows.map((r) => [r.name, r.flat, r.cum]);

describe('a heap diff against a stored base', () => {
  let base: Body;
  let diff: Body;
  let normalized: Body;
  let basePath: string;
  let newPath: string;

  beforeAll(async () => {
    base = await capture('Heap');
    basePath = base[`${RESULT}profile_path`];
    await change(target);
    diff = await capture('Heap', { [KEYS.diffBase]: basePath });
    newPath = diff[`${RESULT}profile_path`];
    normalized = await capture('Heap', { [KEYS.diffBase]: basePath, [KEYS.diffBaseNormalize]: 'true' });
  }, 120_000);

  test('the stored diff is pprof\'s -diff_base profile, line for line', async () => {
    const diffPath = diff[`${RESULT}diff_path`];
    expect(diffPath).toBe(newPath.replace(/\.prof$/, '.diff.pb.gz'));
    expect(await goPprofFiles([diffPath], ['-raw'])).toEqual(await goPprofFiles([newPath], ['-raw', `-diff_base=${basePath}`]));
  });

  test.each(['inuse_space', 'inuse_objects', 'alloc_space'])('api/top (%s) equals go tool pprof -top -diff_base, with both sides per row', async (sample) => {
    const top = await api(diff, 'api/top', { sample });
    const reference = await goPprofTop(newPath, { diffBase: basePath, sampleIndex: sample });
    expect([top.total, rows(top)]).toEqual([reference.total, reference.rows.map((r) => [r.name, r.flat, r.cum])]);
    // Each side on its own, by pprof too: new = the new capture's, base = the base's.
    const [fresh, old] = await Promise.all([goPprofTop(newPath, { sampleIndex: sample }), goPprofTop(basePath, { sampleIndex: sample })]);
    const of = (t: typeof fresh, name: string) => t.rows.find((r) => r.name === name) ?? { flat: 0, cum: 0 };
    for (const row of top.rows) {
      expect([row.name, row.diff.newFlat, row.diff.newCum, row.diff.baseFlat, row.diff.baseCum]).toEqual([
        row.name,
        of(fresh, row.name).flat,
        of(fresh, row.name).cum,
        of(old, row.name).flat,
        of(old, row.name).cum,
      ]);
    }
    expect(top.diff.newTotal).toBe(fresh.total);
  });

  test('what changed: allocSession is new (+4 MiB more), allocSmall is gone (-8 MiB), negative values are kept', async () => {
    const top = await api(diff, 'api/top');
    const session = top.rows.find((r: { name: string }) => r.name === 'main.allocSession');
    const small = top.rows.find((r: { name: string }) => r.name === 'main.allocSmall');
    expect(session.flat).toBe(4 << 20);
    expect(session.diff).toMatchObject({ baseFlat: 0, newFlat: 4 << 20, flatChange: null });
    expect(small.flat).toBeLessThanOrEqual(-(8 << 20));
    expect(small.diff).toMatchObject({ newFlat: 0, flatChange: -1 });
  });

  test.each<[string, GoPprofOptions & Record<string, string>]>([
    ['nothing', {}],
    ['focus', { focus: 'main\\.' }],
    ['tagfocus on the object size', { tagfocus: 'bytes=64kB', tagFocus: 'bytes=64kB' }],
    ['tagignore of the base', { tagignore: 'pprof::base=true', tagIgnore: 'pprof::base=true' }],
    ['tagroot', { tagroot: 'bytes', tagRoot: 'bytes' }],
  ])('api/top, api/peek and api/callgraph refined by %s equal pprof -diff_base', async (_name, c) => {
    const params: Record<string, string> = {};
    for (const key of ['focus', 'tagfocus', 'tagignore', 'tagroot']) if (c[key]) params[key] = c[key];
    const options: GoPprofOptions = { diffBase: basePath, focus: c.focus, tagFocus: c.tagFocus, tagIgnore: c.tagIgnore, tagRoot: c.tagRoot };
    const top = await api(diff, 'api/top', params);
    const reference = await goPprofTop(newPath, options);
    expect([top.total, rows(top)]).toEqual([reference.total, reference.rows.map((r) => [r.name, r.flat, r.cum])]);

    for (const name of ['main.allocSession', 'main.allocSmall', 'main.allocBig'].filter((n) => top.rows.some((r: { name: string }) => r.name === n))) {
      const peek = await api(diff, 'api/peek', { ...params, function: name });
      const strip = (edges: Array<{ name: string; value: number }>) => edges.map(({ name: n, value }) => ({ name: n, value }));
      expect({ name, flat: peek.flat, cum: peek.cum, callers: strip(peek.callers), callees: strip(peek.callees) }).toEqual({ name, ...(await goPprofPeek(newPath, name, options)) });
    }

    const graph = await api(diff, 'api/callgraph', params);
    const dot = await goPprofDot(newPath, options);
    expect(graph.nodes.map((n: { name: string }) => n.name)).toEqual(dot.nodes);
    const nameOf = (id: number) => graph.nodes[id - 1].name;
    const edges = graph.edges.map((e: { from: number; to: number; value: number; inline?: boolean; residual?: boolean }) => ({
      from: nameOf(e.from),
      to: nameOf(e.to),
      value: e.value,
      inline: e.inline === true,
      residual: e.residual === true,
    }));
    expect(edges).toEqual(dot.edges);
  });

  test('the summary ranks by |flat delta|, each row with both captures, as -diff_base -top does', async () => {
    const summary = JSON.parse(diff[`${RESULT}summary`]);
    const reference = await goPprofTop(newPath, { diffBase: basePath });
    expect(summary.top.map((r: { function: string; flat: number }) => [r.function, r.flat])).toEqual(reference.rows.slice(0, 10).map((r) => [r.name, r.flat]));
    expect(summary.total).toBe(reference.total);
    const session = summary.top.find((r: { function: string }) => r.function === 'main.allocSession');
    expect(session).toMatchObject({ new_flat: 4 << 20, base_flat: 0, flat_change: 'new', new_flat_text: '4MB', base_flat_text: '0' });
    expect(summary.diff).toEqual({ base: basePath, base_source: `stored profile ${basePath}`, normalized: false });
    // Every value of the answer is a string, as KubeDiag's executor needs.
    for (const value of Object.values(diff)) expect(typeof value).toBe('string');
  });

  test('normalize scales the new capture to the base\'s total first, as pprof -normalize', async () => {
    const normalizedNew = normalized[`${RESULT}profile_path`];
    for (const sample of ['inuse_space', 'alloc_objects']) {
      const top = await api(normalized, 'api/top', { sample });
      const reference = await goPprofTop(normalizedNew, { diffBase: basePath, normalize: true, sampleIndex: sample });
      expect([top.total, rows(top)]).toEqual([reference.total, reference.rows.map((r) => [r.name, r.flat, r.cum])]);
    }
    expect(await goPprofFiles([normalized[`${RESULT}diff_path`]], ['-raw'])).toEqual(
      await goPprofFiles([normalizedNew], ['-raw', '-normalize', `-diff_base=${basePath}`]),
    );
    expect((await api(normalized, 'api/profile')).diff.normalized).toBe(true);
  });

  test('the answer and the diff views are as openapi.yaml says', async () => {
    expectValid('GoProfilerResult', diff);
    expectValid('Summary', JSON.parse(diff[`${RESULT}summary`]));
    expectValid('TopTable', await api(diff, 'api/top'));
    expectValid('ProfileInfo', await api(diff, 'api/profile'));
  });

  test('api/profile tells both captures apart, the base named as such', async () => {
    const info = await api(diff, 'api/profile');
    expect(info.diff.base).toMatchObject({ profilePath: basePath, source: `stored profile ${basePath}` });
    expect(info.diff.new).toMatchObject({ profilePath: newPath, source: `${target.url}/debug/pprof/heap` });
    expect(Date.parse(info.diff.base.fetchedAt)).toBeLessThanOrEqual(Date.parse(info.diff.new.fetchedAt));
    // The download is the diff itself, which go tool pprof reads as it reads its own -diff_base output.
    const download = await request(`${diff[`${RESULT}viewer_url`].replace(/\/$/, '')}/download`);
    expect(download.body.equals(fs.readFileSync(diff[`${RESULT}diff_path`]))).toBe(true);
  });
});

describe('many targets compared with a base', () => {
  test('sources: the merged capture minus a stored merged base equals pprof -diff_base on the merged files, per-target labels kept', async () => {
    const sources = `${target.url}, ${canary.url}`;
    const base = await capture('Heap', { [KEYS.sources]: sources }, '');
    await change(canary);
    const diff = await capture('Heap', { [KEYS.sources]: sources, [KEYS.diffBase]: base[`${RESULT}profile_path`] }, '');
    const [newPath, basePath] = [diff[`${RESULT}profile_path`], base[`${RESULT}profile_path`]];
    expect(await goPprofFiles([diff[`${RESULT}diff_path`]], ['-raw'])).toEqual(await goPprofFiles([newPath], ['-raw', `-diff_base=${basePath}`]));
    const reference = await goPprofTop(newPath, { diffBase: basePath, tagFocus: `source=${canary.url}` });
    const top = await api(diff, 'api/top', { tagfocus: `source=${canary.url}` });
    expect([top.total, rows(top)]).toEqual([reference.total, reference.rows.map((r) => [r.name, r.flat, r.cum])]);
    // Only the canary changed: its allocSession grew by 4 MiB, the target's by nothing.
    const session = (focus: string) => api(diff, 'api/top', { tagfocus: `source=${focus}` }).then((t) => t.rows.find((r: { name: string }) => r.name === 'main.allocSession')?.flat ?? 0);
    expect(await session(canary.url)).toBe(4 << 20);
    expect(await session(target.url)).toBe(0);
    expect(JSON.parse(diff[`${RESULT}targets`]).map((t: { outcome: string }) => t.outcome)).toEqual(['ok', 'ok']);
  }, 60_000);
});

describe('a goroutine leak caught by what grew', () => {
  test('+40 main.leakRequest against the base, the base fetched now from another pod (diff_base.source)', async () => {
    await change(canary); // the canary leaks 40 goroutines more than the target... after the target's own changes
    const answer = await capture('Goroutine', { [KEYS.diffBaseSource]: target.url }, canary.url);
    const summary = JSON.parse(answer[`${RESULT}summary`]);
    const basePath = summary.diff.base;
    expect(summary.diff.base_source).toBe(`${target.url}/debug/pprof/goroutine`);
    const newPath = answer[`${RESULT}profile_path`];
    const reference = await goPprofTop(newPath, { diffBase: basePath });
    expect(summary.top.map((r: { function: string; flat: number }) => [r.function, r.flat])).toEqual(reference.rows.slice(0, 10).map((r) => [r.name, r.flat]));
    const top = await api(answer, 'api/top');
    expect([top.total, rows(top)]).toEqual([reference.total, reference.rows.map((r) => [r.name, r.flat, r.cum])]);
    // The fetched base was stored with its goroutine dump, as the new capture was.
    expect(fs.existsSync(basePath.replace(/\.prof$/, '.goroutine-debug2.txt'))).toBe(true);
    expect(fs.existsSync(newPath.replace(/\.prof$/, '.goroutine-debug2.txt'))).toBe(true);
  }, 60_000);

  test('against its own earlier capture: main.leakRequest grew by exactly 40', async () => {
    const before = await capture('Goroutine');
    await change(target);
    const after = await capture('Goroutine', { [KEYS.diffBase]: before[`${RESULT}profile_path`] });
    // Goroutines are counted at their leaf (runtime.gopark): the leak is in main.leakRequest's cum.
    const top = await api(after, 'api/top');
    const leak = top.rows.find((r: { name: string }) => r.name === 'main.leakRequest');
    expect(leak.cum).toBe(40);
    expect(leak.diff.newCum - leak.diff.baseCum).toBe(40);
    expect((await goPprofTop(after[`${RESULT}profile_path`], { diffBase: before[`${RESULT}profile_path`] })).rows.find((r) => r.name === 'main.leakRequest')?.cum).toBe(40);
  }, 60_000);
});

describe('bases that are refused', () => {
  let heapPath: string;
  let goroutinePath: string;
  beforeAll(async () => {
    heapPath = (await capture('Heap'))[`${RESULT}profile_path`];
    goroutinePath = (await capture('Goroutine'))[`${RESULT}profile_path`];
  }, 60_000);

  const refused = async (params: Record<string, unknown>, status: number) => {
    const answer = await post({ [KEYS.source]: target.url, [KEYS.type]: 'Heap', ...params });
    expect(answer.status).toBe(status);
    return answer.json();
  };

  test('a stored base of another type: 400 naming diff_base and both types', async () => {
    const body = await refused({ [KEYS.diffBase]: goroutinePath }, 400);
    expect(body.details).toEqual([{ key: KEYS.diffBase, message: expect.stringMatching(/is a Goroutine profile, and this request is for Heap/) }]);
  });

  test('a stored base whose samples are of other types (a file under a Heap name): 400 naming what differs', async () => {
    const disguised = path.join(path.dirname(goroutinePath), 'default.disguised.Heap.prof');
    fs.copyFileSync(goroutinePath, disguised);
    const body = await refused({ [KEYS.diffBase]: disguised }, 400);
    expect(body.details[0].key).toBe(KEYS.diffBase);
    expect(body.details[0].message).toMatch(/sample types \[goroutine\/count\], unlike the new capture .*'s \[alloc_objects\/count alloc_space\/bytes inuse_objects\/count inuse_space\/bytes\]/);
  });

  test('a fetched base of other sample types: 500 naming diff_base.source and what differs', async () => {
    const goroutine = fs.readFileSync(goroutinePath);
    const impostor = await serve((_req, res) => res.end(goroutine));
    try {
      const answer = await post({ [KEYS.source]: target.url, [KEYS.type]: 'Heap', [KEYS.diffBaseSource]: impostor.url });
      expect(answer.status).toBe(500);
      expect(answer.json().error).toMatch(/diff_base\.source: .*sample types \[goroutine\/count\], unlike/);
    } finally {
      await impostor.close();
    }
  });

  test.each([
    ['outside DATA_ROOT', () => '/etc/passwd'],
    ['a .prof outside the store', () => path.join(path.dirname(svc.dataRoot), 'elsewhere.Heap.prof')],
    ['climbing out with ..', () => `${path.dirname(heapPath)}/../../../../../../../../etc/hostname.prof`],
    ['relative, climbing out', () => '../../etc/passwd'],
    ['a symbolic link inside the store to a file outside', () => {
      const outside = path.join(path.dirname(svc.dataRoot), `outside-${process.pid}.Heap.prof`);
      fs.copyFileSync(heapPath, outside);
      const link = path.join(path.dirname(heapPath), 'default.link.Heap.prof');
      fs.symlinkSync(outside, link);
      return link;
    }],
    ['DATA_ROOT itself', () => svc.dataRoot],
    ['a stored file that is not a .prof', () => heapPath.replace(/\.prof$/, '.goroutine-debug2.txt')],
    ['a path that does not exist in the store', () => path.join(path.dirname(heapPath), 'default.none.Heap.prof')],
  ])('a diff_base %s: 400 naming diff_base, and the service goes on', async (_name, where) => {
    const body = await refused({ [KEYS.diffBase]: where() }, 400);
    expect(body.details.map((d: { key: string }) => d.key)).toEqual([KEYS.diffBase]);
    expect(body.error).not.toMatch(/root:|localhost/); // nothing of what lies outside is read back
    expect((await request(`${svc.url}/healthz`)).status).toBe(200);
  });

  test.each([
    ['diff_base beside diff_base.source', { [KEYS.diffBase]: 'x.prof', [KEYS.diffBaseSource]: 'http://127.0.0.1:1' }, KEYS.diffBaseSource],
    ['normalize with no base', { [KEYS.diffBaseNormalize]: 'true' }, KEYS.diffBaseNormalize],
    ['normalize that is not a flag', { [KEYS.diffBase]: 'x.prof', [KEYS.diffBaseNormalize]: 'yes' }, KEYS.diffBaseNormalize],
    ['a base source that is not a URL', { [KEYS.diffBaseSource]: 'ftp://host' }, KEYS.diffBaseSource],
    ['an https base source without a Secret', { [KEYS.diffBaseSource]: 'https://127.0.0.1:1' }, KEYS.secretName],
    ['an empty stored path', { [KEYS.diffBase]: '' }, KEYS.diffBase],
  ])('%s: 400 naming the key', async (_name, params, key) => {
    const body = await refused(params, 400);
    expect(body.details.map((d: { key: string }) => d.key)).toContain(key);
  });
});
