import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { Label } from 'pprof-format';
import { decodeProfile } from '../src/profile/decode';
import { ProfileData } from '../src/profile/profile-data';
import { diffFlameGraph, diffFlameSearch, diffFlameStacks } from '../src/report/diff/diff-flamegraph';
import { searchFlame } from '../src/report/flame-search';
import { flameStacks, FlameStacksOptions } from '../src/report/flame-stacks';
import { flameGraph, FlameGraphData } from '../src/report/flamegraph';
import { runReportJob } from '../src/report/jobs';
import { goPprofFiles } from './support/go-pprof-files';
import { goPprofTool } from './support/go-pprof';
import { goEnv, GoTarget, startGoTarget } from './support/go-target';
import { encodeGzipped, SyntheticSample, syntheticProfile } from './support/synthetic-profile';

// The diff flame graph of two real heap captures of the Go target, one GET /change apart (4 MiB more retained by
// main.growSessions -> main.allocSession, main.fillIndex's 8 MiB of main.allocSmall freed), diffed by pprof's own
// -proto -diff_base. Each node's new and base values are held to `go tool pprof -traces` of each capture alone:
// the per-sample stacks it prints, summed per call path here. A frame's width is its new value plus the base value
// of what under it exists only in the base.

const MAX = 1 << 30;
const PLAIN: FlameStacksOptions = { granularity: 'functions', refine: {}, inverted: false };
const FULL = 65536;
const execFileAsync = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-flamegraph-'));
const file = (name: string) => path.join(dir, name);
let target: GoTarget;
let diff: ProfileData;
let inuse: number;

/** Per call path ("a;b;c", root first; leaf first when inverted): the sum of its samples, and of those that end there. */
type Paths = Map<string, { cum: number; self: number }>;

/** `go tool pprof -traces` of one capture: each sample's frames (leaf first) and value. */
async function traces(name: string): Promise<Array<{ frames: string[]; value: number }>> {
  const text = await goPprofFiles([file(name)], ['-traces', '-unit=B', '-sample_index=inuse_space']);
  const samples: Array<{ frames: string[]; value: number }> = [];
  for (const block of text.split(/^-+\+-+$/m).slice(1)) {
    // Label lines ("     bytes:  64kB"), then "<value>   <leaf>" and the callers, one a line.
    const lines = block.split('\n').filter((line) => line.trim());
    if (lines.length === 0) continue; // after the last separator
    const at = lines.findIndex((line) => /^\s*\d+B?\s{3}\S/.test(line));
    const first = /^\s*(\d+)B?\s{3}(.*)$/.exec(lines[at] ?? '');
    if (!first) throw new Error(`unexpected -traces block: ${block}`);
    const frames = [first[2], ...lines.slice(at + 1).map((line) => line.trim())].map((f) => f.replace(/ \((?:partial-)?inline\)$/, ''));
    samples.push({ frames, value: Number(first[1]) });
  }
  return samples;
}

function pathSums(samples: Array<{ frames: string[]; value: number }>, inverted: boolean): Paths {
  const paths: Paths = new Map();
  for (const { frames, value } of samples) {
    if (value === 0) continue;
    const ordered = inverted ? frames : [...frames].reverse();
    for (let d = 1; d <= ordered.length; d++) {
      const key = ordered.slice(0, d).join(';');
      const entry = paths.get(key) ?? { cum: 0, self: 0 };
      entry.cum += value;
      if (d === ordered.length) entry.self += value;
      paths.set(key, entry);
    }
  }
  return paths;
}

/** The width every path should have: its new value, plus base samples under it whose own path has no new value. */
function widths(base: Array<{ frames: string[]; value: number }>, fresh: Paths, inverted: boolean): Map<string, number> {
  const width = new Map<string, number>();
  for (const [key, { cum }] of fresh) width.set(key, cum);
  for (const { frames, value } of base) {
    const ordered = inverted ? frames : [...frames].reverse();
    if (value === 0 || fresh.has(ordered.join(';'))) continue;
    for (let d = 1; d <= ordered.length; d++) {
      const key = ordered.slice(0, d).join(';');
      width.set(key, (width.get(key) ?? 0) + value);
    }
  }
  return width;
}

/** The graph's nodes by call path (the root is ""). */
function nodesOf(graph: FlameGraphData): Map<string, number> {
  const pathOf: string[] = [''];
  const nodes = new Map<string, number>([['', 0]]);
  for (let i = 1; i < graph.parent.length; i++) {
    const above = pathOf[graph.parent[i]];
    pathOf[i] = above ? `${above};${graph.names[graph.name[i]]}` : graph.names[graph.name[i]];
    nodes.set(pathOf[i], i);
  }
  return nodes;
}

function expectAdditive(graph: FlameGraphData): void {
  const children = new Array<number>(graph.parent.length).fill(0);
  for (let i = 1; i < graph.parent.length; i++) children[graph.parent[i]] += graph.value[i];
  graph.value.forEach((value, i) => {
    expect(graph.self[i]).toBeGreaterThanOrEqual(0);
    expect(children[i] + graph.self[i]).toBeLessThanOrEqual(value);
  });
}

const cut = (inverted: boolean, zoom: string[] = [], resolution = FULL) => {
  const options = { ...PLAIN, inverted };
  const stacks = runReportJob(diff, { kind: 'flamestacks', options });
  return runReportJob(diff, { kind: 'flamegraph', stacks, request: { sampleIndex: inuse, zoom, resolution } });
};

beforeAll(async () => {
  target = await startGoTarget();
  const save = async (name: string) => fs.writeFileSync(file(name), Buffer.from(await (await fetch(`${target.url}/debug/pprof/heap`)).arrayBuffer()));
  await save('base.pb.gz');
  expect(await (await fetch(`${target.url}/change`)).text()).toBe('change 1 applied\n');
  await save('new.pb.gz');
  const { stdout } = await execFileAsync(await goPprofTool(), ['-proto', '-symbolize=none', `-diff_base=${file('base.pb.gz')}`, file('new.pb.gz')], {
    env: goEnv(),
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  fs.writeFileSync(file('diff.pb.gz'), stdout);
  diff = decodeProfile(stdout, { maxBytes: MAX });
  inuse = diff.sampleTypes.findIndex((t) => t.type === 'inuse_space');
}, 120_000);

afterAll(async () => {
  await target?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each([false, true])('a real heap diff (inverted: %s)', (inverted) => {
  let graph: FlameGraphData;
  let nodes: Map<string, number>;
  let fresh: Paths;
  let base: Paths;
  let width: Map<string, number>;

  beforeAll(async () => {
    graph = cut(inverted);
    nodes = nodesOf(graph);
    const [newSamples, baseSamples] = await Promise.all([traces('new.pb.gz'), traces('base.pb.gz')]);
    fresh = pathSums(newSamples, inverted);
    base = pathSums(baseSamples, inverted);
    width = widths(baseSamples, fresh, inverted);
  }, 60_000);

  test("each node's new and base values are pprof's for that call path in each capture", () => {
    const sides = graph.diff;
    if (!sides) throw new Error('a diff flame graph has diff');
    expect(sides.newValue[0]).toBe([...fresh].filter(([key]) => !key.includes(';')).reduce((sum, [, e]) => sum + e.cum, 0));
    for (const [key, node] of nodes) {
      if (node === 0) continue;
      expect([key, sides.newValue[node], sides.baseValue[node]]).toEqual([key, fresh.get(key)?.cum ?? 0, base.get(key)?.cum ?? 0]);
    }
  });

  test('frames are as wide as the new capture plus what exists only in the base, down to minValue', () => {
    for (const [key, node] of nodes) if (node > 0) expect([key, graph.value[node]]).toEqual([key, width.get(key)]);
    // Nothing wide enough is missing, nothing narrower is there.
    const wide = [...width].filter(([, w]) => w >= graph.minValue).map(([key]) => key);
    expect([...nodes.keys()].filter((key) => key !== '').sort()).toEqual(wide.sort());
    expect(graph.minValue).toBe(graph.value[0] / FULL);
    expectAdditive(graph);
  });

  test('the 8 MiB freed under main.fillIndex are there, as wide as they were; main.allocSession is new', () => {
    const gone = [...nodes].filter(([key]) => (inverted ? /^main\.allocSmall;main\.fillIndex$/ : /main\.fillIndex;main\.allocSmall$/).test(key));
    expect(gone).toHaveLength(1);
    const [, node] = gone[0];
    expect(graph.diff?.newValue[node]).toBe(0);
    expect(graph.diff?.baseValue[node]).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(graph.value[node]).toBe(graph.diff?.baseValue[node]);
    const session = [...nodes].filter(([key]) => (inverted ? key === 'main.allocSession' : key.endsWith(';main.allocSession'))).map(([, n]) => n);
    expect(session.length).toBeGreaterThan(0);
    expect(session.reduce((sum, n) => sum + (graph.diff?.newValue[n] ?? 0), 0)).toBe(4 * 1024 * 1024);
    for (const n of session) expect(graph.diff?.baseValue[n]).toBe(0);
  });

  test('a zoom keeps the values of the frames under it, and cuts below it at its own width', () => {
    const [key] = [...nodes].find(([k]) => (inverted ? k === 'main.allocSmall' : k.endsWith(';main.fillIndex'))) ?? [];
    if (!key) throw new Error('no frame to zoom into');
    const names = key.split(';');
    const zoomed = cut(inverted, names, 64);
    const at = nodesOf(zoomed);
    expect(zoomed.zoom).toBe(at.get(key));
    expect(zoomed.minValue).toBe(zoomed.value[zoomed.zoom] / 64);
    for (const [k, node] of at) {
      const whole = nodes.get(k);
      if (whole === undefined) continue; // narrower than the whole graph's cut
      expect([k, zoomed.value[node], zoomed.diff?.newValue[node], zoomed.diff?.baseValue[node]]).toEqual([k, graph.value[whole], graph.diff?.newValue[whole], graph.diff?.baseValue[whole]]);
    }
    expectAdditive(zoomed);
  });
});

test('a search on a diff sums the widths of the matching stacks, and says what each capture holds there', async () => {
  const stacks = runReportJob(diff, { kind: 'flamestacks', options: PLAIN });
  const found = runReportJob(diff, { kind: 'flamesearch', stacks, request: { sampleIndex: inuse, pattern: '^main\\.(allocSmall|allocSession)$' } });
  const [fresh, base] = await Promise.all([traces('new.pb.gz'), traces('base.pb.gz')]);
  const sum = (samples: typeof fresh) => samples.filter((s) => s.frames.some((f) => /^main\.(allocSmall|allocSession)$/.test(f))).reduce((n, s) => n + s.value, 0);
  expect(found).toMatchObject({ functions: 2, diff: { newValue: sum(fresh), baseValue: sum(base) } });
  // allocSmall is gone wherever fillIndex called it, and kept elsewhere: the width is what the graph draws.
  const graph = cut(false);
  const nodes = nodesOf(graph);
  const drawn = [...nodes].filter(([key]) => /(^|;)main\.(allocSmall|allocSession)$/.test(key)).reduce((n, [, node]) => n + graph.value[node], 0);
  expect(found.value).toBe(drawn);
});

test('a profile that is not a diff gets the flame graph and search it always had, with no diff', () => {
  const data = decodeProfile(fs.readFileSync(file('new.pb.gz')), { maxBytes: MAX });
  const stacks = runReportJob(data, { kind: 'flamestacks', options: PLAIN });
  const request = { sampleIndex: inuse, zoom: [], resolution: 4096 };
  const graph = runReportJob(data, { kind: 'flamegraph', stacks, request });
  expect(graph.diff).toBeUndefined();
  expect(graph).toEqual(flameGraph(data, flameStacks(data, PLAIN), request));
  const search = { sampleIndex: inuse, pattern: 'allocSession' };
  expect(runReportJob(data, { kind: 'flamesearch', stacks, request: search })).toEqual(searchFlame(data, flameStacks(data, PLAIN), search));
});

// Small diffs by hand against the same rule, written the plain way: every base sample whose path no new sample
// goes through is drawn, the rest of the base only counted.
describe('hand-made diffs', () => {
  const TYPES: Array<[string, string]> = [['inuse_space', 'bytes']];
  const FRAMES = ['pkg.a', 'pkg.b', 'pkg.c', 'pkg.s+pkg.a'];

  function diffProfile(fresh: SyntheticSample[], base: SyntheticSample[]): ProfileData {
    const profile = syntheticProfile(TYPES, [...fresh, ...base.map((s) => ({ stack: s.stack, values: s.values.map((v) => -v) }))]);
    const key = profile.stringTable.dedup('pprof::base');
    const str = profile.stringTable.dedup('true');
    profile.sample.slice(fresh.length).forEach((s) => (s.label = [new Label({ key, str })]));
    return decodeProfile(encodeGzipped(profile), { maxBytes: MAX });
  }

  const toFrames = (samples: SyntheticSample[]) => samples.map((s) => ({ frames: s.stack.flatMap((f) => f.split('+')), value: s.values[0] }));
  const stack = fc.array(fc.constantFrom(...FRAMES), { minLength: 1, maxLength: 5 });
  const side = fc.array(fc.record({ stack: stack.map((s) => [...s, 'pkg.main']), values: fc.tuple(fc.integer({ min: 1, max: 1000 })) }), { maxLength: 12 });

  test('widths, new and base values of every node, at any resolution, either way up', () => {
    fc.assert(
      fc.property(side, side, fc.boolean(), (fresh, base, inverted) => {
        if (base.length === 0) return; // not a diff
        const data = diffProfile(fresh, base);
        const graph = diffFlameGraph(data, diffFlameStacks(data, { ...PLAIN, inverted }), { sampleIndex: 0, zoom: [], resolution: 65536 });
        const newPaths = pathSums(toFrames(fresh), inverted);
        const basePaths = pathSums(toFrames(base), inverted);
        const width = widths(toFrames(base), newPaths, inverted);
        const nodes = nodesOf(graph);
        expect([...nodes.keys()].filter((k) => k).sort()).toEqual([...width.keys()].sort());
        for (const [key, node] of nodes) {
          if (!key) continue;
          expect([key, graph.value[node], graph.diff?.newValue[node], graph.diff?.baseValue[node]]).toEqual([key, width.get(key), newPaths.get(key)?.cum ?? 0, basePaths.get(key)?.cum ?? 0]);
        }
        expectAdditive(graph);
      }),
      { numRuns: 150 },
    );
  });

  test('left-out frames are narrower than minValue, and a gone frame below a kept one counts in its width', () => {
    fc.assert(
      fc.property(side, side, fc.integer({ min: 2, max: 50 }), (fresh, base, resolution) => {
        if (base.length === 0) return;
        const data = diffProfile(fresh, base);
        const graph = diffFlameGraph(data, diffFlameStacks(data, PLAIN), { sampleIndex: 0, zoom: [], resolution });
        const width = widths(toFrames(base), pathSums(toFrames(fresh), false), false);
        const nodes = nodesOf(graph);
        for (const [key, w] of width) {
          const parent = key.includes(';') ? key.slice(0, key.lastIndexOf(';')) : '';
          if (nodes.has(parent) && (parent === '' || graph.value[nodes.get(parent) as number] - graph.self[nodes.get(parent) as number] >= graph.minValue)) {
            expect([key, nodes.has(key)]).toEqual([key, w >= graph.minValue]);
          }
          if (nodes.has(key)) expect(graph.value[nodes.get(key) as number]).toBe(w);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('a search covers the same widths', () => {
    const data = diffProfile(
      [{ stack: ['pkg.a', 'pkg.main'], values: [10] }],
      [
        { stack: ['pkg.a', 'pkg.main'], values: [4] },
        { stack: ['pkg.b', 'pkg.a', 'pkg.main'], values: [3] },
        { stack: ['pkg.c', 'pkg.main'], values: [5] },
      ],
    );
    const stacks = diffFlameStacks(data, PLAIN);
    expect(diffFlameSearch(data, stacks, { sampleIndex: 0, pattern: '^pkg\\.a$' })).toEqual({ value: 13, functions: 1, diff: { newValue: 10, baseValue: 7 } });
    expect(diffFlameSearch(data, stacks, { sampleIndex: 0, pattern: 'pkg\\.[bc]' })).toEqual({ value: 8, functions: 2, diff: { newValue: 0, baseValue: 8 } });
  });
});
