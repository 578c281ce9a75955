import { ProfileData } from '../../profile/profile-data';
import { KeyStacks } from '../flame-stacks';
import { baseSampleMask } from './base-samples';

/**
 * A diff's stacks for one sample type, as its flame graph weighs them. A frame is as wide as the new capture's
 * value under it, plus the base's value of what under it exists only in the base (gone since then, so that what
 * disappeared can be seen): per stack, a new stack weighs its value, a base stack its |value| when no new stack
 * goes through its whole path (its frames are gone), else nothing. Widths so add up: children never exceed their
 * parent. Whether a new stack goes through a base stack's path is read from the stacks sorted by their keys:
 * those whose path starts with a given one follow it, so a base stack is covered when the next new stack does.
 */
export interface DiffStacks {
  /** The stacks with a value in this type, in key order (a base stack before a new one of the same keys). */
  order: Int32Array;
  /** lcp[p]: how many leading keys stack order[p] shares with order[p - 1] (0 for p = 0). */
  lcp: Int32Array;
  /** Per stack (its index in the stacks): |value| when it is the new capture's, when it is the base's, and its width. */
  newValue: Float64Array;
  baseValue: Float64Array;
  width: Float64Array;
}

export function diffStacks(data: ProfileData, stacks: KeyStacks, sampleIndex: number): DiffStacks {
  const mask = baseSampleMask(data);
  const T = data.sampleTypes.length;
  const { sample, start, keys } = stacks;
  const n = sample.length;
  const newValue = new Float64Array(n);
  const baseValue = new Float64Array(n);
  const isBase = new Uint8Array(n);
  const kept: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = Math.abs(data.values[sample[i] * T + sampleIndex]);
    if (v === 0) continue;
    if (mask?.[sample[i]]) {
      isBase[i] = 1;
      baseValue[i] = v;
    } else newValue[i] = v;
    kept.push(i);
  }
  const order = Int32Array.from(kept).sort((a, b) => {
    const a0 = start[a];
    const b0 = start[b];
    const la = start[a + 1] - a0;
    const lb = start[b + 1] - b0;
    for (let d = 0, m = la < lb ? la : lb; d < m; d++) if (keys[a0 + d] !== keys[b0 + d]) return keys[a0 + d] - keys[b0 + d];
    return la - lb || isBase[b] - isBase[a] || a - b;
  });
  const lcp = new Int32Array(order.length);
  for (let p = 1; p < order.length; p++) lcp[p] = commonPrefix(stacks, order[p - 1], order[p]);
  return { order, lcp, newValue, baseValue, width: widths(stacks, order, lcp, isBase, newValue, baseValue) };
}

/** Walking back from the end: the keys a base stack shares with the next new stack are the least lcp between them. */
function widths(stacks: KeyStacks, order: Int32Array, lcp: Int32Array, isBase: Uint8Array, newValue: Float64Array, baseValue: Float64Array): Float64Array {
  const width = new Float64Array(newValue.length);
  let nextNew = false;
  let shared = 0;
  for (let p = order.length - 1; p >= 0; p--) {
    if (p + 1 < order.length && lcp[p + 1] < shared) shared = lcp[p + 1];
    const i = order[p];
    if (!isBase[i]) {
      width[i] = newValue[i];
      nextNew = true;
      shared = Infinity;
    } else if (!nextNew || shared < stacks.start[i + 1] - stacks.start[i]) width[i] = baseValue[i];
  }
  return width;
}

function commonPrefix(stacks: KeyStacks, a: number, b: number): number {
  const { start, keys } = stacks;
  const m = Math.min(start[a + 1] - start[a], start[b + 1] - start[b]);
  let d = 0;
  while (d < m && keys[start[a] + d] === keys[start[b] + d]) d++;
  return d;
}

/**
 * The profile the diff's flame graph is cut from and searched: three sample types of the one asked for, per sample
 * its width, new value and base value (diffStacks), every other field the profile's.
 */
export function diffSides(data: ProfileData, stacks: KeyStacks, diff: DiffStacks, sampleIndex: number): ProfileData {
  const type = data.sampleTypes[sampleIndex];
  const values = new Float64Array(3 * (data.sampleStart.length - 1));
  for (let i = 0; i < stacks.sample.length; i++) {
    const at = 3 * stacks.sample[i];
    values[at] = diff.width[i];
    values[at + 1] = diff.newValue[i];
    values[at + 2] = diff.baseValue[i];
  }
  return { ...data, sampleTypes: [type, type, type], defaultSampleIndex: 0, values };
}

/** The sample types of diffSides. */
export const WIDTH = 0;
export const NEW = 1;
export const BASE = 2;
