import { decodeProfile } from '../src/profile/decode';
import { aggregate } from '../src/report/aggregate';
import { topTable } from '../src/report/top';
import { encodeGzipped, syntheticProfile } from './support/synthetic-profile';

const MAX = 64 * 1024 * 1024;

function analyse(samples: Parameters<typeof syntheticProfile>[1], types: Array<[string, string]> = [['samples', 'count']]) {
  const data = decodeProfile(encodeGzipped(syntheticProfile(types, samples)), { maxBytes: MAX });
  return { data, model: aggregate(data) };
}

const row = (table: ReturnType<typeof topTable>, name: string) => table.rows.find((r) => r.name === name);

describe('aggregation (pprof semantics)', () => {
  test('flat goes to the leaf, cum to every function on the stack', () => {
    const { data, model } = analyse([
      { stack: ['main.c', 'main.b', 'main.a'], values: [5] },
      { stack: ['main.b', 'main.a'], values: [3] },
    ]);
    const top = topTable(data, model, 0);
    expect(top.total).toBe(8);
    expect(row(top, 'main.c')).toMatchObject({ flat: 5, cum: 5 });
    expect(row(top, 'main.b')).toMatchObject({ flat: 3, cum: 8 });
    expect(row(top, 'main.a')).toMatchObject({ flat: 0, cum: 8 });
    expect(top.rows.map((r) => r.name)).toEqual(['main.c', 'main.b', 'main.a']);
  });

  test('recursion counts a function once per sample in cum', () => {
    const { data, model } = analyse([{ stack: ['main.f', 'main.f', 'main.f', 'main.main'], values: [4] }]);
    expect(row(topTable(data, model, 0), 'main.f')).toMatchObject({ flat: 4, cum: 4 });
  });

  test('inlined frames are functions of their own', () => {
    const { data, model } = analyse([{ stack: ['main.inner+main.outer', 'main.main'], values: [7] }]);
    const top = topTable(data, model, 0);
    expect(row(top, 'main.inner')).toMatchObject({ flat: 7, cum: 7 });
    expect(row(top, 'main.outer')).toMatchObject({ flat: 0, cum: 7 });
  });

  test('ties in flat sort by name', () => {
    const { data, model } = analyse([
      { stack: ['main.z'], values: [2] },
      { stack: ['main.a'], values: [2] },
    ]);
    expect(topTable(data, model, 0).rows.map((r) => r.name)).toEqual(['main.a', 'main.z']);
  });

  test('a sample type with zero values leaves its functions out', () => {
    const { data, model } = analyse(
      [
        { stack: ['main.freed'], values: [10, 0] },
        { stack: ['main.live'], values: [5, 5] },
      ],
      [['alloc_space', 'bytes'], ['inuse_space', 'bytes']],
    );
    expect(topTable(data, model, 1).rows.map((r) => r.name)).toEqual(['main.live']);
    expect(topTable(data, model, 0).rows.map((r) => r.name)).toEqual(['main.freed', 'main.live']);
  });
});
