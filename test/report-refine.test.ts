import { InputError } from '../src/errors';
import { decodeProfile } from '../src/profile/decode';
import { baseName, cleanPath, nodeName } from '../src/report/granularity';
import { compilePattern } from '../src/report/pattern';
import { aggregate } from '../src/report/aggregate';
import { flameStacks } from '../src/report/flame-stacks';
import { flameGraph } from '../src/report/flamegraph';
import { peek } from '../src/report/peek';
import { RefinedStacks } from '../src/report/refine';
import { encodeGzipped, syntheticProfile } from './support/synthetic-profile';

// Refinement's own rules. Its numbers are checked against go tool pprof in views-vs-pprof.test.ts.
describe('regexes in Go syntax', () => {
  test.each([
    ['(?i)MAIN\\.f', 'main.f', true],
    ['(?is)a.b', 'A\nB', true],
    ['\\Qmain.(*T).f\\E', 'main.(*T).f', true],
    ['\\Qmain.(*T).f\\E', 'mainx(*T)xf', false],
    ['(?P<pkg>main)\\.', 'main.f', true],
    ['[[:digit:]]+$', 'f12', true],
    ['[[:alpha:]]', '123', false],
    ['\\Amain', 'main.f', true],
    ['\\Amain', 'xmain', false],
    ['f\\z', 'main.f', true],
    ['f\\z', 'main.f\n', false],
    ['sync\\.\\(\\*Mutex\\)', 'sync.(*Mutex).Lock', true],
  ])('%s on %j: %s', (source, text, matches) => {
    expect(compilePattern('focus', source).test(text)).toBe(matches);
  });

  test.each([
    ['(?=main)', /look-around/],
    ['(?<!x)y', /look-around/],
    ['(a)\\1', /back-references/],
    ['(?U)a+', /flag U/],
    ['main.(', /Unterminated group/],
    ['[', /Unterminated character class/],
  ])('%s is refused, naming the key, as pprof refuses it', (source, message) => {
    let error: unknown;
    try {
      compilePattern('show_from', source);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/^parsing show_from regexp: /);
    expect((error as InputError).details).toEqual([{ key: 'show_from', message: expect.stringMatching(message) }]);
  });
});

describe('node names by granularity (graph.NodeInfo.NameComponents)', () => {
  test.each([
    ['functions', 'main.f', '/src/a/../b/./f.go', 12, '/bin/app', 'main.f'],
    ['filefunctions', 'main.f', '/src/a/../b/./f.go', 12, '/bin/app', 'main.f /src/b/f.go'],
    ['files', 'main.f', '/src//b/f.go', 12, '/bin/app', '/src/b/f.go'],
    ['lines', 'main.f', 'gotarget/main.go', 12, '/bin/app', 'main.f gotarget/main.go:12'],
    ['lines', 'main.f', 'gotarget/main.go', 0, '/bin/app', 'main.f gotarget/main.go'],
    ['files', 'main.f', '', 3, '/bin/app', '[app]'],
    ['functions', '', '', 0, '/usr/lib/libc.so.6', '[libc.so.6]'],
    ['functions', '', '', 0, '', '<unknown>'],
  ] as const)('%s of %j %j:%d in %j is %j', (granularity, fn, file, line, mapping, expected) => {
    expect(nodeName(granularity, fn, file, line, mapping)).toBe(expected);
  });

  test.each([
    ['', '.'],
    ['a/b/../../..', '..'],
    ['/../a', '/a'],
    ['./a//b/', 'a/b'],
    ['/', '/'],
  ])("cleanPath(%j) is Go's filepath.Clean: %j", (input, expected) => expect(cleanPath(input)).toBe(expected));

  test('baseName is filepath.Base', () => {
    expect([baseName('/a/b/'), baseName(''), baseName('/'), baseName('app')]).toEqual(['b', '.', '/', 'app']);
  });
});

describe('refined stacks', () => {
  const data = decodeProfile(
    encodeGzipped(
      syntheticProfile(
        [['samples', 'count']],
        [
          { stack: ['main.leaf+main.inlined+main.caller', 'main.main'], values: [1] },
          { stack: ['runtime.x', 'main.f', 'main.main'], values: [1] },
          { stack: [], values: [1] },
        ],
      ),
    ),
    { maxBytes: 1 << 20 },
  );
  const names = (stacks: RefinedStacks, s: number) => {
    const out = new Int32Array(stacks.maxDepth);
    const n = stacks.frames(s, out);
    return n < 0 ? null : [...out.subarray(0, n)].map((f) => data.strings[data.frameName[f]]);
  };

  test('frames come root first; a sample without frames is dropped', () => {
    const all = new RefinedStacks(data);
    expect(names(all, 0)).toEqual(['main.main', 'main.caller', 'main.inlined', 'main.leaf']);
    expect(names(all, 2)).toBeNull();
  });

  test('focus judges the lines as they were, before hide removed them', () => {
    const stacks = new RefinedStacks(data, { focus: 'runtime', hide: 'runtime' });
    expect([names(stacks, 0), names(stacks, 1)]).toEqual([null, ['main.main', 'main.f']]);
  });

  test('show_from keeps a matching location from its rootmost matching line down', () => {
    const stacks = new RefinedStacks(data, { show_from: 'inlined|caller' });
    expect(names(stacks, 0)).toEqual(['main.caller', 'main.inlined', 'main.leaf']);
    expect(names(stacks, 1)).toBeNull();
    const inner = new RefinedStacks(data, { show_from: 'inlined' });
    expect(names(inner, 0)).toEqual(['main.inlined', 'main.leaf']);
    // The inlined function is now its location's outermost line: its call is no longer an inline one.
    const out = new Int32Array(inner.maxDepth);
    inner.frames(0, out);
    expect([inner.inlined[out[0]], inner.inlined[out[1]]]).toEqual([0, 1]);
  });
});

describe('the aggregate model', () => {
  const data = decodeProfile(
    encodeGzipped(
      syntheticProfile(
        [['samples', 'count']],
        [
          { stack: ['main.c', 'main.b', 'main.a'], values: [5] },
          { stack: ['main.c', 'main.a'], values: [2] },
        ],
      ),
    ),
    { maxBytes: 1 << 20 },
  );

  test('edges are caller -> callee, each counted once per sample, and the inverted flame graph\'s roots are the leaves', () => {
    const around = (name: string) => {
      const found = peek(data, { granularity: 'functions', refine: {}, sampleIndex: 0, name });
      return { callers: found?.callers.map((e) => `${e.name}=${e.value}`), callees: found?.callees.map((e) => `${e.name}=${e.value}`) };
    };
    expect(around('main.a')).toEqual({ callers: [], callees: ['main.b=5', 'main.c=2'] });
    expect(around('main.c')).toEqual({ callers: ['main.b=5', 'main.a=2'], callees: [] });
    const up = flameGraph(data, flameStacks(data, { granularity: 'functions', refine: {}, inverted: true }), { sampleIndex: 0, zoom: [], resolution: 4096 });
    const roots = up.parent.map((p, node) => (p === 0 ? up.names[up.name[node]] : null)).filter(Boolean);
    expect(roots).toEqual(['main.c']);
    expect(up.value[0]).toBe(7);
  });
});
