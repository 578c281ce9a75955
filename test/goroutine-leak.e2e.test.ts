import { KEYS } from '../src/parameters/schema';
import { RESULT } from '../src/result/answer';
import { goPprofTool, goPprofTop, goPprofTopText } from './support/go-pprof';
import { GoTarget, startGoTarget } from './support/go-target';
import { request } from './support/http-json';
import { RunningService, startService } from './support/service';

// type=GoroutineLeak: Go's /debug/pprof/goroutineleak, from the real Go target built with Go 1.26's
// GOEXPERIMENT=goroutineleakprofile (its goroutines in `select {}` can never be woken: the runtime reports them),
// and from the plain build, which does not serve it.
let leaky: GoTarget;
let plain: GoTarget;
let svc: RunningService;

beforeAll(() => goPprofTool(), 180_000);

beforeAll(async () => {
  [leaky, plain, svc] = await Promise.all([startGoTarget({ experiment: 'goroutineleakprofile' }), startGoTarget(), startService()]);
}, 180_000);

afterAll(async () => {
  await svc?.stop();
  await Promise.all([leaky?.stop(), plain?.stop()]);
});

const post = (source: string, type: string) => request(`${svc.url}/processor/goProfiler`, { body: { [KEYS.source]: source, [KEYS.type]: type, [KEYS.expirationSeconds]: '60' } });

test.each(['GoroutineLeak', 'goroutineleak'])('type=%s fetches /debug/pprof/goroutineleak; the viewer equals go tool pprof on the stored file', async (type) => {
  const answer = await post(leaky.url, type);
  expect(answer.status).toBe(200);
  const body = answer.json();
  const stored = body[`${RESULT}profile_path`];
  // Two requests in one second: the second file is GoroutineLeak-1.prof (the store never overwrites).
  expect(stored).toMatch(/\.GoroutineLeak(-\d+)?\.prof$/);
  expect(await goPprofTopText(stored)).toMatch(/^Type: goroutineleak$/m);
  const reference = await goPprofTop(stored);
  // The target's leaked goroutines: those in select {} that nothing can wake.
  expect(reference.rows.some((r) => r.name === 'main.selectForever' && r.cum > 0)).toBe(true);
  const top = (await request(`${body[`${RESULT}viewer_url`]}/api/top`)).json();
  expect([top.total, top.rows.map((r: { name: string; flat: number; cum: number }) => [r.name, r.flat, r.cum])]).toEqual([
    reference.total,
    reference.rows.map((r) => [r.name, r.flat, r.cum]),
  ]);
  expect(JSON.parse(body[`${RESULT}summary`])).toMatchObject({ type: 'GoroutineLeak', sample_type: 'goroutineleak', total: reference.total });
});

test('a program that does not serve it: 500 that says so and how to get it', async () => {
  const answer = await post(plain.url, 'GoroutineLeak');
  expect(answer.status).toBe(500);
  expect(answer.json().error).toBe(
    `fetching profile from ${plain.url}/debug/pprof/goroutineleak: the source answered 404 Not Found, content type text/plain; charset=utf-8, body begins "Unknown profile": ` +
      'the program does not serve the goroutineleak profile; Go 1.26 serves it only when the program is built with GOEXPERIMENT=goroutineleakprofile, Go 1.27 and later always',
  );
});
