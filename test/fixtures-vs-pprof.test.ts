import fs from 'node:fs';
import path from 'node:path';
import { analyze } from '../src/report/analyze';
import { topTable } from '../src/report/top';

// Goldens: `go tool pprof -top -nodefraction=0` on the same bytes, in raw units (see fixtures/profiles/README.md).
const DIR = path.join(__dirname, 'fixtures', 'profiles');
const fixtures = fs.readdirSync(DIR).filter((f) => f.endsWith('.pb.gz'));

describe('top table equals go tool pprof -top on real Go profiles', () => {
  test('there are fixtures for every profile type', () => {
    expect(fixtures.sort()).toEqual(['allocs', 'block', 'cpu', 'goroutine', 'heap', 'mutex', 'threadcreate'].map((n) => `${n}.pb.gz`));
  });

  test.each(fixtures)('%s', (file) => {
    const golden = JSON.parse(fs.readFileSync(path.join(DIR, file.replace('.pb.gz', '.top.json')), 'utf8'));
    const { data, model } = analyze(fs.readFileSync(path.join(DIR, file)), { maxBytes: 1 << 30 });
    const table = topTable(data, model, data.defaultSampleIndex);
    expect(table.total).toBe(golden.total);
    expect(table.rows.map((r) => ({ name: r.name, flat: r.flat, cum: r.cum }))).toEqual(golden.rows);
  });
});
