import { ProfileData } from '../profile/profile-data';

/** pprof's granularities: what makes two frames the same node. */
export const GRANULARITIES = ['functions', 'filefunctions', 'files', 'lines'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface FrameKeys {
  /** frame index -> node key */
  keyOfFrame: Int32Array;
  /** node key -> display name */
  names: string[];
  /** node key -> file (may be "") */
  files: string[];
}

/** Assigns each frame the key of the node it belongs to at the given granularity. */
export function frameKeys(data: ProfileData, granularity: Granularity): FrameKeys {
  const keyOfFrame = new Int32Array(data.frameName.length);
  const names: string[] = [];
  const files: string[] = [];
  const byLabel = new Map<string, number>();
  for (let f = 0; f < keyOfFrame.length; f++) {
    const name = data.strings[data.frameName[f]];
    const file = data.strings[data.frameFile[f]];
    const label = labelOf(granularity, name, file, data.frameLine[f]);
    let key = byLabel.get(label);
    if (key === undefined) {
      key = names.length;
      byLabel.set(label, key);
      names.push(label);
      files.push(file);
    }
    keyOfFrame[f] = key;
  }
  return { keyOfFrame, names, files };
}

function labelOf(granularity: Granularity, name: string, file: string, line: number): string {
  switch (granularity) {
    case 'functions':
      return name;
    case 'filefunctions':
      return file ? `${name} ${file}` : name;
    case 'files':
      return file || name;
    case 'lines':
      return file ? `${name} ${file}:${line}` : name;
  }
}
