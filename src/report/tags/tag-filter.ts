import { InputError } from '../../errors';
import { compilePattern } from '../pattern';
import { BYTES_KEY, BYTES_UNIT, LabelMap } from './sample-labels';
import { scale } from './scale';

/** A compiled tagfocus/tagignore: whether a sample with these labels matches. */
export interface TagMatch {
  /** True when it looks at the numeric label: its verdict then depends on more than the string labels. */
  numeric: boolean;
  test(labels: LabelMap, bytes: number): boolean;
}

type NumberFilter = (value: number, unit: string) => boolean;

/**
 * pprof's compileTagFilter (driver_focus.go): "[key=]range" for numeric labels ("1kb", "1kb:64kb", "32mb:",
 * ":512B"), else "[key=]regex[,regex]". With a key, a sample matches when one of its values of that key matches
 * one of the regexes; without, when every regex matches some "key:value" of it.
 */
export function compileTagFilter(name: string, option: string | undefined): TagMatch | undefined {
  if (!option) return undefined;
  const equals = option.indexOf('=');
  const wantKey = equals >= 0 ? option.slice(0, equals) : '';
  const value = equals >= 0 ? option.slice(equals + 1) : option;
  const range = parseTagFilterRange(name, value);
  if (range) return numericMatch(range, wantKey);
  const patterns = value.split(',').map((source) => compilePattern(name, source));
  if (wantKey === '') {
    return { numeric: false, test: (labels) => patterns.every((re) => someLabel(labels, (key, v) => re.test(`${key}:${v}`))) };
  }
  return { numeric: false, test: (labels) => patterns.some((re) => labels.get(wantKey)?.some((v) => re.test(v)) ?? false) };
}

function numericMatch(range: NumberFilter, wantKey: string): TagMatch {
  // The decoded model keeps one numeric label, bytes: any other key has no numeric values to match.
  if (wantKey !== '' && wantKey !== BYTES_KEY) return { numeric: false, test: () => false };
  return { numeric: true, test: (_labels, bytes) => !Number.isNaN(bytes) && range(bytes, BYTES_UNIT) };
}

function someLabel(labels: LabelMap, match: (key: string, value: string) => boolean): boolean {
  for (const [key, values] of labels) if (values.some((v) => match(key, v))) return true;
  return false;
}

const RANGE_PART = /([+-]?[0-9]+)([a-zA-Z]+)?/g;

/** parseTagFilterRange: "N[unit]", "N[unit]:", ":N[unit]" or "N[unit]:M[unit]", else undefined (a regex). */
function parseTagFilterRange(name: string, filter: string): NumberFilter | undefined {
  const ranges = [...filter.matchAll(RANGE_PART)].slice(0, 2);
  if (ranges.length === 0) return undefined;
  const [low, unit] = scale(parseInt64(name, ranges[0][1]), ranges[0][2] ?? '', ranges[0][2] ?? '');
  const inUnit = (v: number, u: string, accept: (scaled: number) => boolean) => {
    const [scaled, scaledUnit] = scale(v, u, unit);
    return scaledUnit === unit && accept(scaled);
  };
  const match = ranges[0][0];
  if (ranges.length === 1) {
    if (filter === match) return (v, u) => inUnit(v, u, (x) => x === low);
    if (filter === `${match}:`) return (v, u) => inUnit(v, u, (x) => x >= low);
    if (filter === `:${match}`) return (v, u) => inUnit(v, u, (x) => x <= low);
    return undefined;
  }
  if (filter !== `${match}:${ranges[1][0]}`) return undefined;
  const [high, highUnit] = scale(parseInt64(name, ranges[1][1]), ranges[1][2] ?? '', unit);
  if (highUnit !== unit) return undefined;
  return (v, u) => inUnit(v, u, (x) => x >= low && x <= high);
}

/** Go's strconv.ParseInt(s, 10, 64); pprof panics past int64, where this refuses the option. */
function parseInt64(name: string, digits: string): number {
  const big = BigInt(digits);
  if (big > 2n ** 63n - 1n || big < -(2n ** 63n)) {
    throw new InputError(`parsing ${name}: ${digits} is out of range`, [{ key: name, message: `${digits} is beyond a 64-bit integer` }]);
  }
  return Number(big);
}
