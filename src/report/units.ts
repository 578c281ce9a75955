/**
 * pprof's display of values (its internal/measurement package): the largest unit in which the value is at
 * least 1, two decimals with a trailing ".00" dropped.
 */
interface Scale {
  units: Array<{ name: string; factor: number }>;
  aliases: string[];
}

const MEMORY: Scale = {
  aliases: ['b', 'byte', 'bytes', 'kb', 'mb', 'gb', 'tb', 'pb'],
  units: ['B', 'kB', 'MB', 'GB', 'TB', 'PB'].map((name, i) => ({ name, factor: 1024 ** i })),
};

const TIME: Scale = {
  aliases: ['ns', 'nanosecond', 'nanoseconds', 'us', 'microsecond', 'microseconds', 'ms', 'millisecond', 'milliseconds', 's', 'sec', 'second', 'seconds'],
  units: [
    { name: 'ns', factor: 1 },
    { name: 'us', factor: 1e3 },
    { name: 'ms', factor: 1e6 },
    { name: 's', factor: 1e9 },
    { name: 'mins', factor: 60e9 },
    { name: 'hrs', factor: 3600e9 },
    { name: 'days', factor: 86400e9 },
    { name: 'wks', factor: 7 * 86400e9 },
    { name: 'yrs', factor: 365.25 * 86400e9 },
  ],
};

const BASE_FACTOR: Record<string, number> = {
  kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, pb: 1024 ** 5,
  us: 1e3, microsecond: 1e3, microseconds: 1e3, ms: 1e6, millisecond: 1e6, milliseconds: 1e6,
  s: 1e9, sec: 1e9, second: 1e9, seconds: 1e9,
};

function scaleOf(unit: string): Scale | undefined {
  const u = unit.toLowerCase();
  if (MEMORY.aliases.includes(u)) return MEMORY;
  if (TIME.aliases.includes(u)) return TIME;
  return undefined;
}

/** A value with its unit as pprof shows it: `1.50MB`, `10ms`, `42`. */
export function formatValue(value: number, unit: string): string {
  const scale = scaleOf(unit);
  if (!scale) return trimDecimals(value) + (unit && unit !== 'count' ? unit : '');
  const base = value * (BASE_FACTOR[unit.toLowerCase()] ?? 1);
  const magnitude = Math.abs(base);
  let chosen = scale.units[0];
  for (const candidate of scale.units) if (magnitude >= candidate.factor) chosen = candidate;
  const text = trimDecimals(base / chosen.factor);
  return text === '0' ? '0' : text + chosen.name;
}

/** pprof's percentage: two decimals from 1% up, two significant digits below, "100%" when within rounding. */
export function formatPercent(value: number, total: number): string {
  const ratio = total === 0 ? 0 : Math.abs(value / total) * 100;
  if (ratio >= 99.95 && ratio <= 100.05) return '100%';
  if (ratio >= 1) return `${fixed2(ratio)}%`;
  if (ratio === 0) return '0%';
  return `${Number(ratio.toPrecision(2))}%`;
}

function trimDecimals(value: number): string {
  const text = fixed2(value).replace(/\.00$/, '');
  return text === '-0' ? '0' : text;
}

/**
 * Go's %.2f: the nearest two-decimal number, and at an exact tie the even one (48.125 -> "48.12"), where
 * toFixed rounds a tie up ("48.13"). A double's exact decimal expansion is finite: toFixed(60) shows whether the
 * digits past the second are exactly 5 then zeros.
 */
export function fixed2(value: number): string {
  const text = value.toFixed(2);
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) return text;
  const exact = Math.abs(value).toFixed(60);
  const point = exact.indexOf('.');
  if (!/^50*$/.test(exact.slice(point + 3))) return text;
  // A tie: keep the truncated two decimals when their last digit is even.
  const truncated = exact.slice(0, point + 3);
  const lastDigit = Number(truncated[truncated.length - 1]);
  if (lastDigit % 2 === 1) return text;
  return (value < 0 ? '-' : '') + truncated;
}
