import { ProfileData } from '../profile/profile-data';
import type { Aggregate } from './aggregate-model';
import { FlameStacks, KeyStacks, LocationStacks } from './flame-stacks';

export interface FlameSearchRequest {
  sampleIndex: number;
  /** A JavaScript regular expression, matched case-insensitively against node names (the page's search box). */
  pattern: string;
}

export interface FlameSearchResult {
  /** The value of the stacks with a matching frame, each counted once even when it matches twice (recursion). */
  value: number;
  /** Distinct matching names on those stacks. */
  functions: number;
}

/**
 * The share of the profile a search covers, from every stack: the page only holds the frames wide enough to
 * draw, so it cannot add this up itself. Each name is tested once; the pass over the stacks is a table lookup
 * per frame, or per location when the stacks are read in place (a location matches when one of its keys does).
 */
export function searchFlame(data: ProfileData, stacks: FlameStacks, request: FlameSearchRequest): FlameSearchResult {
  const pattern = new RegExp(request.pattern, 'i');
  const matches = Uint8Array.from(stacks.names, (name) => (pattern.test(name) ? 1 : 0));
  return stacks.form === 'keys' ? searchKeys(data, stacks, matches, request.sampleIndex) : searchLocations(data, stacks, matches, request.sampleIndex);
}

function searchKeys(data: ProfileData, stacks: KeyStacks, matches: Uint8Array, sampleIndex: number): FlameSearchResult {
  const found = new Uint8Array(stacks.names.length);
  const T = data.sampleTypes.length;
  const { sample, start, keys } = stacks;
  let value = 0;
  for (let i = 0; i < sample.length; i++) {
    const v = data.values[sample[i] * T + sampleIndex];
    if (v === 0) continue;
    let hit = false;
    for (let f = start[i]; f < start[i + 1]; f++) {
      const k = keys[f];
      if (matches[k]) {
        hit = true;
        found[k] = 1;
      }
    }
    if (hit) value += v;
  }
  return { value, functions: found.reduce((n, x) => n + x, 0) };
}

function searchLocations(data: ProfileData, stacks: LocationStacks, matches: Uint8Array, sampleIndex: number): FlameSearchResult {
  const { locationKeyStart, locationKeys } = stacks;
  const locations = locationKeyStart.length - 1;
  const matching = new Uint8Array(locations);
  let any = false;
  for (let l = 0; l < locations; l++) {
    for (let g = locationKeyStart[l]; g < locationKeyStart[l + 1]; g++) if (matches[locationKeys[g]]) matching[l] = 1;
    if (matching[l]) any = true;
  }
  if (!any) return { value: 0, functions: 0 };
  // The matching locations met on stacks with a value: their matching keys are the functions found. One flat pass
  // over every stack's locations; the sample a match is in is found by moving on from the last one's.
  const met = new Uint8Array(locations);
  const T = data.sampleTypes.length;
  const { values, sampleStart, sampleLocations } = data;
  const end = sampleStart[sampleStart.length - 1];
  let value = 0;
  let s = 0;
  let hit = -1;
  for (let p = sampleStart[0]; p < end; p++) {
    const l = sampleLocations[p];
    if (matching[l] === 0) continue;
    while (sampleStart[s + 1] <= p) s++;
    const v = values[s * T + sampleIndex];
    if (v === 0) continue;
    met[l] = 1;
    if (hit !== s) {
      hit = s;
      value += v;
    }
  }
  const found = new Uint8Array(stacks.names.length);
  for (let l = 0; l < locations; l++) {
    if (met[l]) for (let g = locationKeyStart[l]; g < locationKeyStart[l + 1]; g++) if (matches[locationKeys[g]]) found[locationKeys[g]] = 1;
  }
  return { value, functions: found.reduce((n, x) => n + x, 0) };
}

/**
 * The same answer from the profile's function-level cum, when it is one: with no refinement, at function
 * granularity, a pattern that matches one function covers exactly the samples that function is on, counted once
 * each, which is its cum (pprof's). Undefined when that does not decide it (several functions match, or none, or
 * the one's cum is 0, which values of both signs can add up to).
 */
export function searchByCum(model: Aggregate, request: FlameSearchRequest): FlameSearchResult | undefined {
  const pattern = new RegExp(request.pattern, 'i');
  let found = -1;
  for (let k = 0; k < model.names.length; k++) {
    if (!pattern.test(model.names[k])) continue;
    if (found >= 0) return undefined;
    found = k;
  }
  if (found < 0) return undefined;
  const cum = model.cum[found * model.typeCount + request.sampleIndex];
  return cum === 0 ? undefined : { value: cum, functions: 1 };
}
