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
  /**
   * node key -> a line in that file to show with it, 0 for none: at lines granularity its line; for a function, the
   * line it starts at, or when the profile does not say, the lowest line of it the profile has (as pprof's source
   * listing does).
   */
  lines: number[];
  /** node key -> the function-name part of its name ("" at file granularity or without a function) */
  functions: string[];
}

/** Assigns each frame the key of the node it belongs to at the given granularity. */
export function frameKeys(data: ProfileData, granularity: Granularity): FrameKeys {
  if (granularity === 'functions' && !data.frameName.includes(0)) return functionKeys(data);
  const keyOfFrame = new Int32Array(data.frameName.length);
  const names: string[] = [];
  const files: string[] = [];
  const lines: number[] = [];
  const functions: string[] = [];
  const byLabel = new Map<string, number>();
  // At functions granularity a named frame's node is its name: strings are interned, so the name's index is its
  // identity, looked up without building a label per frame.
  const byName = granularity === 'functions' ? new Int32Array(data.strings.length).fill(-1) : undefined;
  const paths = new PathCache(data.strings);
  const { locationFrameStart } = data;
  for (let location = 0; location < locationFrameStart.length - 1; location++) {
    const mapping = data.strings[data.locationMapping[location]];
    for (let f = locationFrameStart[location]; f < locationFrameStart[location + 1]; f++) {
      const nameIndex = data.frameName[f];
      if (byName && nameIndex !== 0 && byName[nameIndex] >= 0) {
        const key = byName[nameIndex];
        keyOfFrame[f] = key;
        lines[key] = lineOf(granularity, lines[key], data.frameStartLine[f], data.frameLine[f]);
        continue;
      }
      const file = data.strings[data.frameFile[f]];
      const fn = granularity === 'files' ? '' : data.strings[nameIndex];
      const path = granularity === 'functions' || !file ? '' : paths.clean(data.frameFile[f]);
      const label = pathNodeName(granularity, fn, path, data.frameLine[f], mapping);
      // pprof's graph.nodeInfo: a frame with no name left (files granularity) is also told apart by its binary and
      // its function's start line, so each function of a file is a node of its own, shown by the file's name.
      const identity = fn === '' ? `${label}\0${mapping}\0${data.frameStartLine[f]}` : label;
      let key = byLabel.get(identity);
      if (key === undefined) {
        key = names.length;
        byLabel.set(identity, key);
        names.push(label);
        files.push(file);
        lines.push(0);
        functions.push(fn);
      }
      if (byName && nameIndex !== 0) byName[nameIndex] = key;
      keyOfFrame[f] = key;
      lines[key] = lineOf(granularity, lines[key], data.frameStartLine[f], data.frameLine[f]);
    }
  }
  return { keyOfFrame, names, files, lines, functions };
}

/**
 * frameKeys at functions granularity when every frame has a function: a node per name (its label is the name, and
 * no unsymbolized frame's label can be the same as one), numbered as the names first appear, with no label built.
 */
function functionKeys(data: ProfileData): FrameKeys {
  const keyOfFrame = new Int32Array(data.frameName.length);
  const names: string[] = [];
  const files: string[] = [];
  const lines = new Int32Array(data.frameName.length); // per key: there are no more keys than frames
  assignFunctionKeys(data, keyOfFrame, names, files, lines);
  return { keyOfFrame, names, files, lines: Array.from(lines.subarray(0, names.length)), functions: names.slice() };
}

/** functionKeys' loop, a function of its own with nothing after the loop (see buildFrames in build-profile-data.ts). */
function assignFunctionKeys(data: ProfileData, keyOfFrame: Int32Array, names: string[], files: string[], lines: Int32Array): void {
  const { frameName, frameFile, frameLine, frameStartLine, strings, locationFrameStart } = data;
  const byName = new Int32Array(strings.length).fill(-1);
  for (let location = 0; location < locationFrameStart.length - 1; location++) {
    for (let f = locationFrameStart[location]; f < locationFrameStart[location + 1]; f++) {
      let key = byName[frameName[f]];
      if (key < 0) {
        key = byName[frameName[f]] = names.length;
        names.push(strings[frameName[f]]);
        files.push(strings[frameFile[f]]);
      }
      keyOfFrame[f] = key;
      // lineOf at functions granularity, inline: the start line, else the lowest line seen.
      const line = frameLine[f];
      if (frameStartLine[f] > 0) lines[key] = frameStartLine[f];
      else if (line > 0 && (lines[key] === 0 || line < lines[key])) lines[key] = line;
    }
  }
}

/** cleanPath of each file name once, however many frames have it. */
class PathCache {
  private readonly cleaned = new Map<number, string>();

  constructor(private readonly strings: string[]) {}

  clean(file: number): string {
    let path = this.cleaned.get(file);
    if (path === undefined) this.cleaned.set(file, (path = cleanPath(this.strings[file])));
    return path;
  }
}

/** The line shown with a node, updated by one more of its frames. */
function lineOf(granularity: Granularity, sofar: number, startLine: number, line: number): number {
  if (granularity === 'files') return 0;
  if (granularity === 'lines') return line;
  if (startLine > 0) return startLine;
  return line > 0 && (sofar === 0 || line < sofar) ? line : sofar;
}

/**
 * pprof's node name: what profile.Aggregate keeps of a line at this granularity, printed by
 * graph.NodeInfo.NameComponents (internal/graph/graph.go): name, then file:line or file, else the binary.
 */
export function nodeName(granularity: Granularity, fn: string, file: string, line: number, mapping: string): string {
  return pathNodeName(granularity, fn, granularity === 'functions' || !file ? '' : cleanPath(file), line, mapping);
}

/** nodeName with the file already cleaned (path: "" at functions granularity or without a file). */
function pathNodeName(granularity: Granularity, fn: string, path: string, line: number, mapping: string): string {
  const name = granularity === 'files' ? '' : fn;
  const lineno = granularity === 'lines' ? line : 0;
  const parts = name ? [name] : [];
  if (lineno !== 0) parts.push(`${path}:${lineno}`);
  else if (path) parts.push(path);
  else if (name) {
    // the function name alone
  } else if (mapping) parts.push(`[${baseName(mapping)}]`);
  else parts.push('<unknown>');
  return parts.join(' ');
}

/** Go's filepath.Clean for slash-separated paths, which pprof applies to every file name. */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !rooted) out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined || '.';
}

/** Go's filepath.Base. */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path === '' ? '.' : '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
