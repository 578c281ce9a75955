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

// "goroutine 7 [chan receive, 42 minutes]:"; newer runtimes may put more between the id and the bracket.
const HEADER = /^goroutine \d+\b[^[]*\[(.*)\]:\s*$/;
const WAIT = /^(\d+) minutes?$/;
const POSITION = /^\t(.*):(\d+)(?: \+0x[0-9a-f]+)?\s*$/;
// Matched against the line without its trailing white space: the lazy (.*?) before a \s*$ backtracked over every
// space of a long run at the end of the line, so a 30 KB line took seconds.
const CREATED_BY = /^created by (.*?)(?: in goroutine \d+)?$/;

/**
 * One goroutine as it is read: its frames as flat strings (function, file, line per frame), so that a dump of
 * 100k goroutines makes objects only for the first goroutine of each group.
 */
class Reading {
  state = '';
  wait = 0;
  /** function, file, line of each frame, leaf first */
  parts: string[] = [];
  createdBy?: string[];
  /** Where the next position line goes: the index of a frame's file in parts (or createdBy), -1 for none. */
  pending = -1;
  pendingCreated = false;

  key(): string {
    return `${this.state}\n${this.parts.join('\n')}\n${this.createdBy ? this.createdBy.join('\n') : ''}`;
  }
}

/** Parses what it can: a truncated or garbled dump yields the goroutines it holds, never an error. */
export function parseGoroutineDump(text: string): GoroutineDump {
  const groups = new Map<string, GoroutineGroup>();
  let total = 0;
  let current: Reading | undefined;
  const finish = () => {
    if (!current) return;
    const key = current.key();
    let found = groups.get(key);
    if (!found) {
      found = { count: 0, state: current.state, waitMinutesMax: 0, waitText: '', stack: frames(current.parts) };
      if (current.createdBy) found.createdBy = current.createdBy[0];
      groups.set(key, found);
    }
    found.count++;
    found.waitMinutesMax = Math.max(found.waitMinutesMax, current.wait);
    current = undefined;
  };
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.startsWith('goroutine ')) {
      const header = HEADER.exec(line);
      if (header) {
        finish();
        current = new Reading();
        const { state, wait } = splitState(header[1]);
        current.state = state;
        current.wait = wait;
        total++;
        continue;
      }
    }
    if (!current) continue;
    if (line.trim() === '') {
      finish(); // a blank line ends a goroutine
      continue;
    }
    if (line.charCodeAt(0) === 9) {
      const position = POSITION.exec(line);
      if (position && current.pending >= 0) {
        const into = current.pendingCreated ? (current.createdBy as string[]) : current.parts;
        into[current.pending] = position[1];
        into[current.pending + 1] = position[2];
      }
      if (position) current.pending = -1;
      continue; // or "goroutine running on other thread; stack unavailable"
    }
    const created = CREATED_BY.exec(line.trimEnd());
    if (created) {
      current.createdBy = [created[1], '', '0'];
      current.pending = 1;
      current.pendingCreated = true;
    } else {
      current.pending = current.parts.length + 1;
      current.pendingCreated = false;
      current.parts.push(functionName(line.trim()), '', '0');
    }
  }
  finish();
  return { total, groups: sortGroups([...groups.values()]) };
}

function frames(parts: string[]): GoroutineFrame[] {
  const stack: GoroutineFrame[] = [];
  for (let i = 0; i < parts.length; i += 3) stack.push({ function: parts[i], file: parts[i + 1], line: Number(parts[i + 2]) });
  return stack;
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

function sortGroups(list: GoroutineGroup[]): GoroutineGroup[] {
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
