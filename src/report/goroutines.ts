import { compareText } from './graph';
import { compileRefine, RefineOptions } from './refine';

/**
 * The goroutine view: Go's `goroutine?debug=2` dump (runtime.Stack of every goroutine, the same text a crash
 * prints) grouped by identical state and stack, as pprof's goroutine profile groups by stack alone.
 */
export interface GoroutineFrame {
  function: string;
  file: string;
  line: number;
}

export interface GoroutineGroup {
  count: number;
  /** "chan receive", "semacquire", "IO wait, locked to thread", ... without the wait time. */
  state: string;
  /** The longest wait in the group, in minutes (Go prints it only from one minute up). */
  waitMinutesMax: number;
  waitText: string;
  /** The function that started these goroutines. */
  createdBy?: string;
  /** Leaf first, as Go prints it. */
  stack: GoroutineFrame[];
}

export interface GoroutineDump {
  total: number;
  groups: GoroutineGroup[];
}

interface Goroutine {
  state: string;
  wait: number;
  stack: GoroutineFrame[];
  createdBy?: GoroutineFrame;
}

// "goroutine 7 [chan receive, 42 minutes]:"; newer runtimes may put more between the id and the bracket.
const HEADER = /^goroutine \d+\b[^[]*\[(.*)\]:\s*$/;
const WAIT = /^(\d+) minutes?$/;
const POSITION = /^\t(.*):(\d+)(?: \+0x[0-9a-f]+)?\s*$/;
// Matched against the line without its trailing white space: the lazy (.*?) before a \s*$ backtracked over every
// space of a long run at the end of the line, so a 30 KB line took seconds.
const CREATED_BY = /^created by (.*?)(?: in goroutine \d+)?$/;

/** Parses what it can: a truncated or garbled dump yields the goroutines it holds, never an error. */
export function parseGoroutineDump(text: string): GoroutineDump {
  const goroutines: Goroutine[] = [];
  let current: Goroutine | undefined;
  let pending: GoroutineFrame | undefined; // a function line waiting for its file:line
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      current = { ...splitState(header[1]), stack: [] };
      goroutines.push(current);
      pending = undefined;
      continue;
    }
    if (line.trim() === '') current = undefined; // a blank line ends a goroutine
    if (!current) {
      pending = undefined;
      continue;
    }
    const position = POSITION.exec(line);
    if (position) {
      if (pending) {
        pending.file = position[1];
        pending.line = Number(position[2]);
      }
      pending = undefined;
      continue;
    }
    if (line.startsWith('\t')) continue; // "goroutine running on other thread; stack unavailable"
    const created = CREATED_BY.exec(line.trimEnd());
    pending = { function: created ? created[1] : functionName(line.trim()), file: '', line: 0 };
    if (created) current.createdBy = pending;
    else current.stack.push(pending);
  }
  return { total: goroutines.length, groups: group(goroutines) };
}

function splitState(inside: string): { state: string; wait: number } {
  let wait = 0;
  const rest: string[] = [];
  for (const part of inside.split(', ')) {
    const minutes = WAIT.exec(part);
    if (minutes) wait = Number(minutes[1]);
    else rest.push(part);
  }
  return { state: rest.join(', '), wait };
}

/** "main.f(0xc000010000, {0x1, 0x2})" -> "main.f": drops the argument list, which differs per goroutine. */
function functionName(text: string): string {
  if (!text.endsWith(')')) return text;
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    if (text[i] === ')') depth++;
    else if (text[i] === '(' && --depth === 0) return i > 0 ? text.slice(0, i) : text;
  }
  return text;
}

function group(goroutines: Goroutine[]): GoroutineGroup[] {
  const groups = new Map<string, GoroutineGroup>();
  for (const g of goroutines) {
    const where = (f: GoroutineFrame) => `${f.function} ${f.file}:${f.line}`;
    const key = [g.state, ...g.stack.map(where), g.createdBy ? `created by ${where(g.createdBy)}` : ''].join('\n');
    let found = groups.get(key);
    if (!found) {
      found = { count: 0, state: g.state, waitMinutesMax: 0, waitText: '', stack: g.stack };
      if (g.createdBy) found.createdBy = g.createdBy.function;
      groups.set(key, found);
    }
    found.count++;
    found.waitMinutesMax = Math.max(found.waitMinutesMax, g.wait);
  }
  const list = [...groups.values()];
  for (const g of list) g.waitText = g.waitMinutesMax > 0 ? `${g.waitMinutesMax} minute${g.waitMinutesMax === 1 ? '' : 's'}` : '';
  return list.sort(
    (a, b) =>
      b.count - a.count ||
      b.waitMinutesMax - a.waitMinutesMax ||
      compareText(a.stack[0]?.function ?? '', b.stack[0]?.function ?? '') ||
      compareText(a.state, b.state),
  );
}

/** focus/ignore as pprof applies them to samples: a group stays when a frame matches focus and none ignore. */
export function refineGoroutines(dump: GoroutineDump, refine: RefineOptions): GoroutineGroup[] {
  const { focus, ignore } = compileRefine(refine);
  const matches = (re: RegExp, g: GoroutineGroup) => g.stack.some((f) => re.test(f.function) || re.test(f.file));
  return dump.groups.filter((g) => (!focus || matches(focus, g)) && !(ignore && matches(ignore, g)));
}
