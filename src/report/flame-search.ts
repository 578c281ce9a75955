import { ProfileData } from '../profile/profile-data';
import { FlameStacks } from './flame-stacks';

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
 * per frame.
 */
export function searchFlame(data: ProfileData, stacks: FlameStacks, request: FlameSearchRequest): FlameSearchResult {
  const pattern = new RegExp(request.pattern, 'i');
  const matches = Uint8Array.from(stacks.names, (name) => (pattern.test(name) ? 1 : 0));
  const found = new Uint8Array(stacks.names.length);
  const T = data.sampleTypes.length;
  const { sample, start, keys } = stacks;
  let value = 0;
  for (let i = 0; i < sample.length; i++) {
    const v = data.values[sample[i] * T + request.sampleIndex];
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
