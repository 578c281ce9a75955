import fs from 'node:fs';
import path from 'node:path';
import { fetchGoroutineDump } from '../src/acquire/goroutine-dump';
import { fetchProfile } from '../src/acquire/fetch-profile';
import { parseRequest, ProfileRequest } from '../src/parameters/parse';
import { KEYS } from '../src/parameters/schema';
import { GoroutineGroup, parseGoroutineDump, refineGoroutines } from '../src/report/goroutines';
import { INLINE_RUNNER, ReportRunner } from '../src/report/jobs';
import { RESULT } from '../src/result/answer';
import { ProfileViews } from '../src/viewer/profile-views';
import { AnalyzePool } from '../src/workers/analyze-pool';
import { GoTarget, startGoTarget } from './support/go-target';
import { request } from './support/http-json';
import { startService } from './support/service';
import { viewerProfileOf } from './support/viewer-profile';

// The Go target parks a known set of goroutines forever (test/fixtures/go-target/main.go): 7 in
// main.waitOnChannel, 3 in main.waitOnMutex, 5 in main.sleepLong, 2 in main.selectForever, 1 main.holdMutex.
// A goroutine waiting for the mutex: Go 1.19 says "semacquire" (the committed dump is Go 1.19's); Go 1.20 and later
// say "sync.Mutex.Lock" (the live target runs on the machine's Go, >= 1.22).
const MUTEX_STATE = { fixture: /^semacquire$/, live: /^sync\.Mutex\.Lock$/ };
type Dump = keyof typeof MUTEX_STATE;
const KNOWN = (dump: Dump): Array<[string, number, RegExp]> => [
  ['main.waitOnChannel', 7, /^chan receive$/],
  ['main.waitOnMutex', 3, MUTEX_STATE[dump]],
  ['main.sleepLong', 5, /^sleep$/],
  // Two nil channels: Go reports "select"; "select (no cases)" is holdMutex's empty select {}.
  ['main.selectForever', 2, /^select$/],
  ['main.holdMutex', 1, /^select \(no cases\)$/],
];

function expectKnownGroups(groups: GoroutineGroup[], dump: Dump) {
  for (const [fn, count, state] of KNOWN(dump)) {
    const matching = groups.filter((g) => g.stack.some((f) => f.function === fn));
    expect({ fn, groups: matching.length, count: matching[0]?.count }).toEqual({ fn, groups: 1, count });
    expect(matching[0].state).toMatch(state);
    expect(matching[0].createdBy).toBe('main.startBlockedGoroutines');
    expect(matching[0].stack.find((f) => f.function === fn)).toMatchObject({ file: 'gotarget/main.go', line: expect.any(Number) });
  }
  const sizes = groups.map((g) => g.count);
  expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
}

function goroutineRequest(url: string): ProfileRequest {
  return parseRequest({ [KEYS.source]: url, [KEYS.type]: 'Goroutine' }, { defaultExpirationSeconds: 60, maxExpirationSeconds: 60 });
}

describe('parsing goroutine?debug=2', () => {
  test('the captured dump of the Go target groups its blocked goroutines by state and stack', () => {
    const dump = parseGoroutineDump(fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'goroutine-debug2.txt'), 'utf8'));
    expect(dump.total).toBe(27);
    expectKnownGroups(dump.groups, 'fixture');
    expect(dump.groups.reduce((n, g) => n + g.count, 0)).toBe(27);
  });

  test('wait times: the longest per group, and the state without them', () => {
    const text = [
      'goroutine 7 [chan receive, 42 minutes]:',
      'main.wait(0xc000010000)',
      '\t/src/main.go:10 +0x25',
      'created by main.start in goroutine 1',
      '\t/src/main.go:5 +0x5a',
      '',
      'goroutine 8 [chan receive, 3 minutes]:',
      'main.wait(0xc000020000)',
      '\t/src/main.go:10 +0x25',
      'created by main.start in goroutine 1',
      '\t/src/main.go:5 +0x5a',
      '',
      'goroutine 9 [chan receive]:',
      'main.wait(0xc000030000)',
      '\t/src/main.go:10 +0x25',
      'created by main.start in goroutine 1',
      '\t/src/main.go:5 +0x5a',
      '',
      'goroutine 1 [IO wait, 1 minutes, locked to thread]:',
      'main.main()',
      '\t/src/main.go:3',
    ].join('\n');
    const { total, groups } = parseGoroutineDump(text);
    expect(total).toBe(4);
    expect(groups).toEqual([
      { count: 3, state: 'chan receive', waitMinutesMax: 42, waitText: '42 minutes', createdBy: 'main.start', stack: [{ function: 'main.wait', file: '/src/main.go', line: 10 }] },
      { count: 1, state: 'IO wait, locked to thread', waitMinutesMax: 1, waitText: '1 minute', stack: [{ function: 'main.main', file: '/src/main.go', line: 3 }] },
    ]);
  });

  test('the same stack in another state, or from another line, is another group', () => {
    const goroutine = (id: number, state: string, line: number) => `goroutine ${id} [${state}]:\nmain.f()\n\t/src/f.go:${line} +0x1\n`;
    const { groups } = parseGoroutineDump([goroutine(1, 'sleep', 3), goroutine(2, 'sleep', 3), goroutine(3, 'select', 3), goroutine(4, 'sleep', 4)].join('\n'));
    expect(groups.map((g) => [g.count, g.state, g.stack[0].line])).toEqual([
      [2, 'sleep', 3],
      [1, 'select', 3],
      [1, 'sleep', 4],
    ]);
  });

  test('truncated, odd or empty text yields what it holds, never an error', () => {
    const full = fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'goroutine-debug2.txt'), 'utf8');
    const cut = parseGoroutineDump(full.slice(0, Math.floor(full.length / 2)));
    expect(cut.total).toBeGreaterThan(5);
    expect(cut.total).toBeLessThan(27);
    expect(parseGoroutineDump('')).toEqual({ total: 0, groups: [] });
    expect(parseGoroutineDump('<html>404 page not found</html>\n\x00\xff')).toEqual({ total: 0, groups: [] });
    const odd = parseGoroutineDump('goroutine 3 [running]:\n\tgoroutine running on other thread; stack unavailable\ngoroutine 4 [sleep]:\nmain.(*T).run(...)\n\nmain.g(');
    expect(odd.groups.map((g) => [g.state, g.stack.map((f) => f.function)])).toEqual([
      ['running', []],
      ['sleep', ['main.(*T).run']],
    ]);
  });

  test('focus and ignore keep and drop groups by any frame, as pprof filters samples', () => {
    const dump = parseGoroutineDump(fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'goroutine-debug2.txt'), 'utf8'));
    const names = (groups: GoroutineGroup[]) => groups.map((g) => g.stack.find((f) => f.function.startsWith('main.'))?.function);
    expect(names(refineGoroutines(dump, { focus: 'main\\.(sleepLong|waitOnMutex)$' }))).toEqual(['main.sleepLong', 'main.waitOnMutex']);
    const kept = names(refineGoroutines(dump, { ignore: 'time\\.Sleep' }));
    expect(kept).not.toContain('main.sleepLong');
    expect(kept).toContain('main.waitOnChannel');
  });
});

describe('against the real Go target', () => {
  let target: GoTarget;
  beforeAll(async () => {
    target = await startGoTarget();
  }, 60_000);
  afterAll(() => target?.stop());

  const fetch = (r: ProfileRequest) => fetchProfile(r.profileUrl, { timeoutMs: 10_000, maxBytes: 16 << 20 });

  test('the goroutine view groups the known set of blocked goroutines correctly', async () => {
    const text = await fetchGoroutineDump(goroutineRequest(target.url), fetch);
    expect(text).toMatch(/^goroutine \d+ \[/);
    expectKnownGroups(parseGoroutineDump(text as string).groups, 'live');
  });

  test('the dump is asked for with debug=2 beside the profile, and only for a Goroutine profile', async () => {
    const asked: string[] = [];
    const spy = (r: ProfileRequest) => {
      asked.push(`${r.profileUrl.pathname}${r.profileUrl.search}`);
      return fetch(r);
    };
    await fetchGoroutineDump(goroutineRequest(target.url), spy);
    const heap = parseRequest({ [KEYS.source]: target.url, [KEYS.type]: 'heap' }, { defaultExpirationSeconds: 60, maxExpirationSeconds: 60 });
    expect(await fetchGoroutineDump(heap, spy)).toBeUndefined();
    expect(asked).toEqual(['/debug/pprof/goroutine?debug=2']);
  });

  test('a failing or non-dump answer is no dump, not an error', async () => {
    expect(await fetchGoroutineDump(goroutineRequest(`${target.url}/nowhere`), fetch)).toBeUndefined();
    expect(await fetchGoroutineDump(goroutineRequest(target.url), async () => ({ bytes: Buffer.from('<html>login</html>') }))).toBeUndefined();
  });

  test('end to end: a Goroutine profile request opens a viewer whose api/goroutines has the groups', async () => {
    const svc = await startService();
    try {
      const answer = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: target.url, [KEYS.type]: 'Goroutine' } });
      expect(answer.status).toBe(200);
      const viewer = answer.json()[`${RESULT}viewer_url`] as string;
      expect((await request(`${viewer}/api/profile`)).json().hasGoroutineDump).toBe(true);
      const view = (await request(`${viewer}/api/goroutines`)).json();
      expect(view.available).toBe(true);
      expectKnownGroups(view.groups, 'live');
      const focused = (await request(`${viewer}/api/goroutines?focus=${encodeURIComponent('main\\.sleepLong')}`)).json();
      expect(focused.groups.map((g: GoroutineGroup) => g.count)).toEqual([5]);
      const heap = await request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: target.url, [KEYS.type]: 'heap' } });
      const heapViewer = heap.json()[`${RESULT}viewer_url`] as string;
      expect((await request(`${heapViewer}/api/goroutines`)).json()).toEqual({ available: false, total: 0, groups: [] });
    } finally {
      await svc.stop();
    }
  });
});

describe('the viewer parses the dump off the main thread', () => {
  const dumpText = () => fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'goroutine-debug2.txt'), 'utf8');
  const profileBytes = () => fs.readFileSync(path.join(__dirname, 'fixtures', 'profiles', 'goroutine.pb.gz'));

  test('in a worker of the pool, once per viewer, with the groups the main thread would make', async () => {
    const pool = new AnalyzePool({ size: 1 });
    try {
      const jobs: string[] = [];
      const reports: ReportRunner = {
        report: (data, job) => {
          jobs.push(job.kind);
          return pool.report(data, job);
        },
      };
      const views = new ProfileViews(viewerProfileOf(profileBytes(), 'Goroutine', { goroutineDump: dumpText(), reports }));
      const [first, again] = await Promise.all([views.goroutines(), views.goroutines()]);
      expect(jobs).toEqual(['goroutines']);
      expect(again).toBe(first);
      expect(first).toEqual(parseGoroutineDump(dumpText()));
      expectKnownGroups(first!.groups, 'fixture');
    } finally {
      await pool.close();
    }
  });

  test('a parse that failed is tried again on the next request', async () => {
    let calls = 0;
    const reports: ReportRunner = {
      report: async (data, job) => {
        calls++;
        if (calls === 1) throw new Error('the worker stopped');
        return INLINE_RUNNER.report(data, job);
      },
    };
    const views = new ProfileViews(viewerProfileOf(profileBytes(), 'Goroutine', { goroutineDump: dumpText(), reports }));
    await expect(views.goroutines()).rejects.toThrow('the worker stopped');
    expect((await views.goroutines())?.total).toBe(parseGoroutineDump(dumpText()).total);
    expect(calls).toBe(2);
  });

  test('no dump, no job', async () => {
    const reports: ReportRunner = { report: () => Promise.reject(new Error('not expected')) };
    const views = new ProfileViews(viewerProfileOf(profileBytes(), 'Goroutine', { reports }));
    expect(await views.goroutines()).toBeUndefined();
    expect(await views.baseGoroutines()).toBeUndefined();
  });
});
