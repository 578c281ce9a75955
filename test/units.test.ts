import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixed2, formatPercent, formatValue } from '../src/report/units';
import { goEnv } from './support/go-target';

describe('pprof units', () => {
  test.each([
    [0, 'bytes', '0'],
    [512, 'bytes', '512B'],
    [1536, 'bytes', '1.50kB'],
    [1024 * 1024, 'bytes', '1MB'],
    [3.25 * 1024 ** 3, 'bytes', '3.25GB'],
    [10_000_000, 'nanoseconds', '10ms'],
    [1_500_000_000, 'nanoseconds', '1.50s'],
    [90e9, 'nanoseconds', '1.50mins'],
    [250, 'nanoseconds', '250ns'],
    [42, 'count', '42'],
    [12345, 'count', '12345'],
  ])('%p %s -> %s', (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });

  test.each([
    [50, 100, '50.00%'],
    [100, 100, '100%'],
    [1, 1000, '0.1%'],
    [0, 10, '0%'],
    [1, 3000, '0.033%'],
  ])('%p of %p -> %s', (value, total, text) => {
    expect(formatPercent(value, total)).toBe(text);
  });
});

describe('two decimals as Go prints them (%.2f)', () => {
  test('ties round to even, as Go does (toFixed rounds them up): the same text as Go for ties and near-ties', () => {
    // Exact ties (k + 0.125, 0.375, ...: eighths are exact in binary) and values beside them, then random ones.
    const values = [48.125, 48.135, 0.125, 0.375, -48.125, 1.005, 2.5, 12.345, 0.005, 0.015, 100, 1e-7, 49280 / 1024];
    for (let i = 0; i < 200; i++) values.push(Math.round(Math.random() * 1e6) / 8, Math.random() * 1000 - 500);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-fixed2-'));
    fs.writeFileSync(path.join(dir, 'main.go'), `package main\nimport "fmt"\nfunc main() {\n\tfor _, x := range []float64{${values.map((v) => v.toPrecision(17)).join(', ')}} {\n\t\tfmt.Printf("%.2f\\n", x)\n\t}\n}\n`);
    const go = execFileSync('go', ['run', path.join(dir, 'main.go')], { env: goEnv(), encoding: 'utf8' }).trim().split('\n');
    expect(values.map(fixed2)).toEqual(go);
    expect(values.map((v) => v.toFixed(2))).not.toEqual(go); // the difference this fixes is there to be seen
  });
});
