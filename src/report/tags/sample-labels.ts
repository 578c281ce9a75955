import { ProfileData } from '../../profile/profile-data';

/** A sample's string labels: key -> values. */
export type LabelMap = ReadonlyMap<string, readonly string[]>;

/** The one numeric label the decoded model keeps; pprof infers its unit from its name (NumLabelUnits). */
export const BYTES_KEY = 'bytes';
export const BYTES_UNIT = 'bytes';

/** Labels as pprof's graph joins them ("k:v" sorted, joined with a literal backslash-n: build-profile-data.ts). */
export function parseJoinedLabels(joined: string): Array<[string, string]> {
  if (!joined) return [];
  return joined.split('\\n').map((pair) => {
    const colon = keyEnd(pair);
    return [pair.slice(0, colon), pair.slice(colon + 1)];
  });
}

/**
 * Where "key:value" splits: at the first colon that is not one of a "::" pair, so that pprof's own keys
 * ("pprof::base", which -diff_base puts on the base's samples) stay whole while values keep theirs (URLs).
 */
function keyEnd(pair: string): number {
  for (let i = pair.indexOf(':'); i >= 0; i = pair.indexOf(':', i + 1)) {
    if (pair[i + 1] === ':') {
      i++;
      continue;
    }
    return i;
  }
  return pair.length;
}

/** Each distinct label string of a profile parsed once, on first use: profiles have few, shared by many samples. */
export class LabelSets {
  private readonly pairs = new Map<number, Array<[string, string]>>();
  private readonly maps = new Map<number, LabelMap>();

  constructor(private readonly data: ProfileData) {}

  /** The label string of sample s, as an index into data.strings (0: none). */
  setOf(s: number): number {
    return this.data.sampleLabels[s];
  }

  pairsOf(set: number): Array<[string, string]> {
    let found = this.pairs.get(set);
    if (!found) {
      found = parseJoinedLabels(this.data.strings[set]);
      this.pairs.set(set, found);
    }
    return found;
  }

  mapOf(set: number): LabelMap {
    let found = this.maps.get(set);
    if (!found) {
      const map = new Map<string, string[]>();
      for (const [key, value] of this.pairsOf(set)) map.set(key, [...(map.get(key) ?? []), value]);
      found = map;
      this.maps.set(set, found);
    }
    return found;
  }
}
