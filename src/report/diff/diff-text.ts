import { formatPercent, formatValue } from '../units';

/** A diff frame's values as its tooltip gives them: new, base, the signed delta and the delta relative to the base. */
export interface DiffText {
  newValue: string;
  baseValue: string;
  delta: string;
  /** "+12.5%", "-100%" for a frame gone since the base, "new" for one the base did not have. */
  deltaPercent: string;
}

export function diffText(newValue: number, baseValue: number, unit: string): DiffText {
  const delta = newValue - baseValue;
  const sign = delta > 0 ? '+' : '';
  return {
    newValue: formatValue(newValue, unit),
    baseValue: formatValue(baseValue, unit),
    delta: `${sign}${formatValue(delta, unit)}`,
    deltaPercent: baseValue === 0 ? (newValue === 0 ? '0%' : 'new') : `${delta < 0 ? '-' : sign}${formatPercent(delta, baseValue)}`,
  };
}

/** One line: "new 4MB, base 0, delta +4MB (new)". */
export function diffLine(newValue: number, baseValue: number, unit: string): string {
  const text = diffText(newValue, baseValue, unit);
  return `new ${text.newValue}, base ${text.baseValue}, delta ${text.delta} (${text.deltaPercent})`;
}
