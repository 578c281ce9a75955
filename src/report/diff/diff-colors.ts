/**
 * A diff frame's colour, for the viewer's canvas and the SVG download alike: its hue says which way it changed
 * (growth vermillion, shrinkage blue: Okabe and Ito's pair, apart for every kind of colour blindness), its
 * intensity how much, relative to the base: grey when unchanged, full for a frame that is new or gone.
 */
export interface DiffTheme {
  dark: boolean;
}

const GROWTH_HUE = 24;
const SHRINKAGE_HUE = 205;
/** Saturation and lightness, unchanged and at full change, per theme: labels stay readable on both ends. */
const LIGHT = { neutral: [6, 84], full: [86, 58] };
const DARK = { neutral: [6, 30], full: [78, 40] };

/** (new - base) / base: Infinity for a frame new since the base, -1 for one gone, 0 when neither has it. */
export function relativeChange(newValue: number, baseValue: number): number {
  if (baseValue === 0) return newValue === 0 ? 0 : Infinity;
  return (newValue - baseValue) / baseValue;
}

export function diffColor(newValue: number, baseValue: number, theme: DiffTheme): string {
  const change = relativeChange(newValue, baseValue);
  // A square root, so that a change of a few percent already shows: 4% is a fifth of the way, 100% (or -100%) all.
  return shade(change >= 0 ? GROWTH_HUE : SHRINKAGE_HUE, Math.sqrt(Math.min(1, Math.abs(change))), theme);
}

/** The legend's swatches: each way at full change. */
export function diffLegendColors(theme: DiffTheme): { growth: string; shrinkage: string } {
  return { growth: shade(GROWTH_HUE, 1, theme), shrinkage: shade(SHRINKAGE_HUE, 1, theme) };
}

function shade(hue: number, intensity: number, theme: DiffTheme): string {
  const { neutral, full } = theme.dark ? DARK : LIGHT;
  const mix = (i: number) => Math.round((neutral[i] + (full[i] - neutral[i]) * intensity) * 10) / 10;
  return `hsl(${hue} ${mix(0)}% ${mix(1)}%)`;
}
