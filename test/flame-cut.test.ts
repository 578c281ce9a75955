import fc from 'fast-check';
import { decodeProfile } from '../src/profile/decode';
import { ProfileData } from '../src/profile/profile-data';
import { Aggregate } from '../src/report/aggregate';
import { analyze } from '../src/report/analyze';
import { searchByCum, searchFlame } from '../src/report/flame-search';
import { flameStacks, FlameStacksOptions, keyStacks } from '../src/report/flame-stacks';
import { flameGraph, partitionCut } from '../src/report/flamegraph';
import { Granularity } from '../src/report/granularity';
import { peek } from '../src/report/peek';
import { stackTrie } from '../src/report/stack-trie';
import { encodeGzipped, SyntheticSample, syntheticProfile } from './support/synthetic-profile';

// The viewer's fast paths against the plain ones they replace, which flamegraph.test.ts and the pprof comparisons
// hold to the plain call tree and to pprof: an unrefined view's stacks are read in place from the profile with
// their shared trunk taken together (stack-trie.ts, stack-frontier.ts), and cut level by level; that cut must be
// the depth-first partition's answer, node for node and in the same order. Peek and search have a location-level
// pass for unrefined views, and search answers a single function from the decode's cum.

const MAX = 64 * 1024 * 1024;
const TYPES: Array<[string, string]> = [['alloc_space', 'bytes'], ['inuse_space', 'bytes']];

function decoded(samples: SyntheticSample[]): { data: ProfileData; model: Aggregate } {
  const bytes = encodeGzipped(syntheticProfile(TYPES, samples));
  return analyze(bytes, { maxBytes: MAX });
}

// Few functions, each at several locations (inlined helpers make multi-line ones), stacks that share trunks.
const FRAMES = ['pkg.a', 'pkg.b', 'pkg.c', 'pkg.d', 'pkg.s+pkg.a', 'pkg.s+pkg.b', 'pkg.t+pkg.s+pkg.c', 'pkg.a+pkg.a'];
const TRUNKS = [['pkg.main', 'pkg.run'], ['pkg.main', 'pkg.run', 'pkg.s+pkg.serve'], ['pkg.main'], []];
const value = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constant(0), fc.integer({ min: -300, max: -1 }));
const sample = fc.record({
  trunk: fc.nat(TRUNKS.length - 1),
  tail: fc.array(fc.constantFrom(...FRAMES), { maxLength: 9 }),
  values: fc.tuple(value, value),
  copies: fc.integer({ min: 1, max: 4 }),
});
const profile = fc.array(sample, { minLength: 1, maxLength: 40 }).map((raw) =>
  // Leaf first, as pprof keeps stacks (trunks above are root first); a sample repeated gives the trie something shared to the leaf.
  raw.flatMap((s) => Array.from({ length: s.copies }, () => ({ stack: [...s.tail, ...[...TRUNKS[s.trunk]].reverse()], values: [...s.values] }))),
);

function leafFirst(samples: Array<{ stack: string[]; values: number[] }>): SyntheticSample[] {
  return samples.map((s) => ({ stack: s.stack, values: s.values }));
}

describe('the level-by-level cut over stacks read in place', () => {
  test('is the depth-first partition of the written-out stacks, for any zoom, resolution, sample type and direction', () => {
    fc.assert(
      fc.property(
        profile,
        fc.boolean(),
        fc.constantFrom<Granularity>('functions', 'lines', 'files'),
        fc.integer({ min: 1, max: 400 }),
        fc.nat(12),
        fc.array(fc.constantFrom('pkg.a', 'pkg.b', 'pkg.s', 'pkg.main', 'pkg.run'), { maxLength: 3 }),
        (raw, inverted, granularity, resolution, zoomAt, wander) => {
          const samples = leafFirst(raw);
          const { data } = decoded(samples);
          const options: FlameStacksOptions = { granularity, refine: {}, inverted };
          const inPlace = flameStacks(data, options);
          if (inPlace.form !== 'locations') throw new Error('an unrefined view is read in place');
          // The same stacks with a trie made from a handful of samples: most leave it in groups of several.
          const sparse = { ...inPlace, trie: stackTrie(data, inPlace.locationKeyStart, inPlace.locationKeys, inverted, 3) };
          const written = keyStacks(data, options);
          // Zoom along the names of a cut's heaviest path, then on along names that may not be there.
          const root = partitionCut(data, written, { sampleIndex: 0, zoom: [], resolution: 65536 });
          const path: string[] = [];
          for (let node = 0, d = 0; d < zoomAt; d++) {
            const child = root.parent.findIndex((p, i) => p === node && i > node);
            if (child < 0) break;
            path.push(root.names[root.name[child]]);
            node = child;
          }
          const zoom = [...path, ...wander];
          for (const sampleIndex of [0, 1]) {
            const request = { sampleIndex, zoom, resolution };
            const expected = partitionCut(data, written, request);
            expect(flameGraph(data, inPlace, request)).toEqual(expected);
            expect(flameGraph(data, sparse, request)).toEqual(expected);
            expect(flameGraph(data, written, request)).toEqual(expected);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  test('the search of stacks read in place counts what the written-out ones do, and a single function its cum', () => {
    fc.assert(
      fc.property(profile, fc.constantFrom('pkg\\.a', 'S', '^pkg\\.(b|c)$', 'main', 'nothing', '^pkg\\.d$', '.'), (raw, pattern) => {
        const { data, model } = decoded(leafFirst(raw));
        const options: FlameStacksOptions = { granularity: 'functions', refine: {}, inverted: false };
        for (const sampleIndex of [0, 1]) {
          const request = { sampleIndex, pattern };
          const expected = searchFlame(data, keyStacks(data, options), request);
          expect(searchFlame(data, flameStacks(data, options), request)).toEqual(expected);
          const byCum = searchByCum(model, request);
          if (byCum) expect(byCum).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('peek of an unrefined view (read by location) is the frame-by-frame scan of a refinement that keeps everything', () => {
    fc.assert(
      fc.property(profile, fc.constantFrom('pkg.a', 'pkg.b', 'pkg.s', 'pkg.main', 'pkg.t', 'pkg.serve'), fc.constantFrom<Granularity>('functions', 'lines'), (raw, fn, granularity) => {
        const data = decodeProfile(encodeGzipped(syntheticProfile(TYPES, leafFirst(raw))), { maxBytes: MAX });
        const names = granularity === 'functions' ? [fn] : ['pkg.a /src/pkg.go:10', 'pkg.s /src/pkg.go:10', 'pkg.b /src/pkg.go:11'];
        for (const name of names) {
          for (const sampleIndex of [0, 1]) {
            const plain = peek(data, { granularity, refine: {}, sampleIndex, name });
            // An ignore that matches nothing: the refined path, which reads every kept frame.
            const scanned = peek(data, { granularity, refine: { ignore: 'x^' }, sampleIndex, name });
            expect(plain).toEqual(scanned);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
