import { ProfileData } from '../profile/profile-data';
import { Aggregate } from './aggregate';

/** The call tree for one sample type, as parallel arrays (nodes with no value left out). */
export interface FlameGraphData {
  sampleType: string;
  unit: string;
  /** pprof's total of the whole profile; the root's value is what the kept samples add up to (as pprof's flame graph). */
  total: number;
  names: string[];
  files: string[];
  /** Per node: index of its parent in these arrays (-1 for the root), name index, total and self value. */
  parent: number[];
  name: number[];
  value: number[];
  self: number[];
}

export function flameGraph(data: ProfileData, model: Aggregate, sampleIndex: number): FlameGraphData {
  const T = model.typeCount;
  const { parent, key, total, self } = model.tree;
  const out: FlameGraphData = {
    sampleType: data.sampleTypes[sampleIndex].type,
    unit: data.sampleTypes[sampleIndex].unit,
    total: model.totals[sampleIndex],
    names: ['root'],
    files: [''],
    parent: [],
    name: [],
    value: [],
    self: [],
  };
  const nameIndex = new Map<number, number>();
  const renumbered = new Int32Array(parent.length).fill(-1);
  // Parents precede children, so one forward pass keeps the order valid.
  for (let node = 0; node < parent.length; node++) {
    const value = total[node * T + sampleIndex];
    if (node > 0 && (value === 0 || renumbered[parent[node]] < 0)) continue;
    renumbered[node] = out.parent.length;
    out.parent.push(node === 0 ? -1 : renumbered[parent[node]]);
    out.name.push(node === 0 ? 0 : nameOf(key[node]));
    out.value.push(value);
    out.self.push(self[node * T + sampleIndex]);
  }
  return out;

  function nameOf(k: number): number {
    let index = nameIndex.get(k);
    if (index === undefined) {
      index = out.names.length;
      out.names.push(model.names[k]);
      out.files.push(model.files[k]);
      nameIndex.set(k, index);
    }
    return index;
  }
}
