import { formatPercent, formatValue } from '../src/report/units';

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
