import { goroutineGrowth, GoroutineGrowth } from '../src/report/diff/goroutine-growth';
import { GoroutineGroup, parseGoroutineDump } from '../src/report/goroutines';
import { GoTarget, startGoTarget } from './support/go-target';

// Which goroutine groups grew between two goroutine?debug=2 dumps of the real Go target: GET /change leaks 40 more
// main.leakRequest goroutines (blocked in chan receive) per call; the goroutines it parks at start stay as they are.
const PARKED: Array<[string, number]> = [
  ['main.waitOnChannel', 7],
  ['main.waitOnMutex', 3],
  ['main.sleepLong', 5],
  ['main.selectForever', 2],
  ['main.holdMutex', 1],
];

let target: GoTarget;
/** Dumps before any change, after one and after two. */
const dumps: string[] = [];

beforeAll(async () => {
  target = await startGoTarget();
  const dump = async () => (await fetch(`${target.url}/debug/pprof/goroutine?debug=2`)).text();
  dumps.push(await dump());
  for (let step = 1; step <= 2; step++) {
    expect(await (await fetch(`${target.url}/change`)).text()).toBe(`change ${step} applied\n`);
    dumps.push(await dump());
  }
}, 60_000);
afterAll(() => target?.stop());

const groupsOf = (text: string) => parseGoroutineDump(text).groups;
const growthBetween = (base: number, now: number) => goroutineGrowth(groupsOf(dumps[base]), groupsOf(dumps[now]));
const through = (fn: string) => (g: GoroutineGrowth | GoroutineGroup) => g.stack.some((f) => f.function === fn);

describe('two real dumps, one /change apart', () => {
  test('the leakRequest group grew by exactly 40, first, counted then and now', () => {
    const growth = growthBetween(1, 2);
    const leak = growth.filter(through('main.leakRequest'));
    expect(leak).toHaveLength(1);
    expect(leak[0]).toMatchObject({ then: 40, now: 80, growth: 40, change: 'grew', state: 'chan receive', createdBy: 'main.applyChange' });
    expect(leak[0].stack[0]).toMatchObject({ function: 'main.leakRequest', file: 'gotarget/main.go', line: expect.any(Number) });
    expect(growth[0]).toBe(leak[0]);
    const now = groupsOf(dumps[2]).find(through('main.leakRequest'));
    expect(leak[0]).toMatchObject({ waitMinutesMax: now?.waitMinutesMax, waitText: now?.waitText });
  });

  test('the goroutines parked at start, the same in both, are not listed', () => {
    const growth = growthBetween(1, 2);
    for (const [fn, count] of PARKED) {
      expect(groupsOf(dumps[2]).filter(through(fn)).map((g) => g.count)).toEqual([count]);
      expect(growth.filter(through(fn))).toEqual([]);
    }
    // What else moved is the target's busy workload (between running and waiting) or an HTTP connection.
    const others = growth.filter((g) => !through('main.leakRequest')(g));
    for (const other of others) expect(['main.startWorkload', 'net/http.(*Server).Serve']).toContain(other.createdBy);
  });

  test('from a dump without the leak, the group is new: none then, 40 now', () => {
    expect(growthBetween(0, 1)[0]).toMatchObject({ then: 0, now: 40, growth: 40, change: 'new', stack: [{ function: 'main.leakRequest' }] });
  });

  test('a group only in the base is gone, listed after every group that grew', () => {
    const growth = growthBetween(1, 0);
    const gone = growth.find(through('main.leakRequest'));
    expect(gone).toMatchObject({ then: 40, now: 0, growth: -40, change: 'gone', waitText: '' });
    const firstLoss = growth.findIndex((g) => g.growth < 0);
    expect(growth.slice(firstLoss).every((g) => g.growth < 0)).toBe(true);
    expect(growth[firstLoss]).toBe(gone);
  });

  test('the counts add up: what grew minus what shrank is the change of the total', () => {
    for (const [base, now] of [[0, 1], [1, 2], [2, 0]]) {
      const net = growthBetween(base, now).reduce((sum, g) => sum + g.growth, 0);
      expect(net).toBe(parseGoroutineDump(dumps[now]).total - parseGoroutineDump(dumps[base]).total);
    }
  });
});

describe('goroutineGrowth on its own', () => {
  const group = (fn: string, count: number, extra: Partial<GoroutineGroup> = {}): GoroutineGroup => ({
    count,
    state: 'chan receive',
    waitMinutesMax: 0,
    waitText: '',
    stack: [{ function: fn, file: '/src/main.go', line: 10 }],
    ...extra,
  });

  test('grown by size first, then shrunk and gone by size of the loss; same size, same state elsewhere: not listed', () => {
    const base = [group('main.a', 5), group('main.b', 10), group('main.c', 3), group('main.d', 2), group('main.e', 4), group('main.f', 1)];
    const now = [group('main.a', 6), group('main.b', 30), group('main.c', 3), group('main.e', 1), group('main.g', 2), group('main.f', 1, { state: 'select' })];
    expect(goroutineGrowth(base, now).map((g) => [g.stack[0].function, g.state, g.change, g.growth])).toEqual([
      ['main.b', 'chan receive', 'grew', 20],
      ['main.g', 'chan receive', 'new', 2],
      ['main.a', 'chan receive', 'grew', 1],
      ['main.f', 'select', 'new', 1],
      ['main.e', 'chan receive', 'shrank', -3],
      ['main.d', 'chan receive', 'gone', -2],
      ['main.f', 'chan receive', 'gone', -1],
    ]);
  });

  test('the longest wait is the one now; groups told apart only by their creator\'s line are added up', () => {
    const base = [group('main.a', 2, { waitMinutesMax: 90, waitText: '90 minutes' })];
    const now = [group('main.a', 3, { waitMinutesMax: 12, waitText: '12 minutes' }), group('main.a', 4, { waitMinutesMax: 95, waitText: '95 minutes' })];
    expect(goroutineGrowth(base, now)).toEqual([
      { state: 'chan receive', stack: base[0].stack, then: 2, now: 7, growth: 5, change: 'grew', waitMinutesMax: 95, waitText: '95 minutes' },
    ]);
  });

  test('garbled, truncated or empty dumps give what they hold, never an error', () => {
    const full = dumps[2];
    const garbage = ['', '<html>404 page not found</html>\n\x00\xff', full.slice(0, Math.floor(full.length / 3)), full.replace(/\t/g, '').slice(7)];
    for (const text of garbage) {
      expect(() => goroutineGrowth(groupsOf(text), groupsOf(full))).not.toThrow();
      expect(() => goroutineGrowth(groupsOf(full), groupsOf(text))).not.toThrow();
    }
    const fromNothing = goroutineGrowth([], groupsOf(full));
    expect(fromNothing.every((g) => g.change === 'new' && g.then === 0)).toBe(true);
    expect(fromNothing.reduce((sum, g) => sum + g.now, 0)).toBe(parseGoroutineDump(full).total);
    expect(goroutineGrowth(groupsOf(full), []).every((g) => g.change === 'gone' && g.now === 0)).toBe(true);
  });
});
