// The reference implementation our viewer is compared against: the real
// `go tool pprof -top`, with its output parsed back into raw numbers.
//
// pprof is the machine's Go's (`go` on the PATH, Go >= 1.22; see goPprofTool).
//
// Flags, and why (checked by running Go 1.26's pprof and reading its source,
// $(go env GOROOT)/src/cmd/vendor/github.com/google/pprof):
//  -top             flat text report, one row per function.
//  -nodefraction=0  otherwise rows with cum <= 0.5% of total are dropped.
//  -nodecount=0     0 = no limit. For -top the default (-1) already means no
//                   limit (only graph outputs default to 80), but say so.
//  -unit=ns         (goPprofTop only) print unscaled numbers. pprof converts
//                   a value to -unit when both are in one unit family
//                   (measurement.go): nanoseconds print as "123ns"; bytes
//                   cannot become ns, so they fall back to the memory
//                   default, "123B"; counts just get the text appended,
//                   "7ns". -unit=B would NOT do: time falls back to its
//                   default, seconds ("1.45s"). So we strip the suffix.
//                   Values print as %.2f with ".00" trimmed (zero as "0"), so
//                   integers stay exact. (All Go profiles use ns/bytes/count;
//                   a microsecond profile would come out x1000.)
//  -symbolize=none  never look for the original binary; Go profiles carry
//                   function names already.
// TZ=UTC (via goEnv) keeps the "Time:" header stable for text comparisons.
//
// Rows are sorted by |flat| descending, then by name ascending, then |cum|
// descending. Names are the Go function names (e.g. "sync.(*Mutex).Unlock");
// an inlined function is its own row, suffixed " (inline)" (or
// " (partial-inline)" when only some of its calls were inlined); that suffix
// is stripped from `name`. -focus/-ignore change the rows but not the total,
// which is always the whole profile's total for the sample index.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { goEnv } from './go-target';

const execFileAsync = promisify(execFile);

export interface GoPprofOptions {
  /** e.g. "inuse_space", "contentions"; default: the profile's default_sample_type, else the last type. */
  sampleIndex?: string;
  focus?: string;
  ignore?: string;
  hide?: string;
  show?: string;
  showFrom?: string;
  /** pprof's -functions (default), -filefunctions, -files or -lines. */
  granularity?: string;
  /** pprof's sample filters by label: "[key=]regex[,regex]" or, for numeric labels, "[key=]range" ("256B:1kB"). */
  tagFocus?: string;
  tagIgnore?: string;
  /** pprof's label-key filters: which keys samples keep (the tags report, the graph's nodelets). */
  tagShow?: string;
  tagHide?: string;
  /** pprof's label pseudo frames: comma-separated label keys whose values become frames at the root / the leaf. */
  tagRoot?: string;
  tagLeaf?: string;
  /** pprof's -diff_base: this profile's samples are subtracted (negated, labelled pprof::base) from the others. */
  diffBase?: string;
  /** pprof's -normalize: with diffBase, the profile is scaled to the base's total first. */
  normalize?: boolean;
}

export interface GoPprofRow {
  name: string;
  flat: number;
  cum: number;
}

export interface GoPprofTop {
  total: number;
  rows: GoPprofRow[];
}

export interface GoPprofTextOptions extends GoPprofOptions {
  /** pprof's -unit; omitted = pprof's own human scaling ("1.50MB", "10ms"). */
  unit?: string;
}

function pprofArgs(profilePath: string | string[], opts: GoPprofTextOptions, report = ['-top', '-nodefraction=0', '-nodecount=0']): string[] {
  const args = [...report, '-symbolize=none'];
  if (opts.unit !== undefined) args.push(`-unit=${opts.unit}`);
  if (opts.sampleIndex !== undefined) args.push(`-sample_index=${opts.sampleIndex}`);
  if (opts.focus !== undefined) args.push(`-focus=${opts.focus}`);
  if (opts.ignore !== undefined) args.push(`-ignore=${opts.ignore}`);
  if (opts.hide !== undefined) args.push(`-hide=${opts.hide}`);
  if (opts.show !== undefined) args.push(`-show=${opts.show}`);
  if (opts.showFrom !== undefined) args.push(`-show_from=${opts.showFrom}`);
  if (opts.granularity !== undefined) args.push(`-${opts.granularity}`);
  if (opts.tagFocus !== undefined) args.push(`-tagfocus=${opts.tagFocus}`);
  if (opts.tagIgnore !== undefined) args.push(`-tagignore=${opts.tagIgnore}`);
  if (opts.tagShow !== undefined) args.push(`-tagshow=${opts.tagShow}`);
  if (opts.tagHide !== undefined) args.push(`-taghide=${opts.tagHide}`);
  if (opts.tagRoot !== undefined) args.push(`-tagroot=${opts.tagRoot}`);
  if (opts.tagLeaf !== undefined) args.push(`-tagleaf=${opts.tagLeaf}`);
  if (opts.diffBase !== undefined) args.push(`-diff_base=${opts.diffBase}`);
  if (opts.normalize) args.push('-normalize');
  // Several files: pprof merges them (profile.Merge), as `go tool pprof a.pb.gz b.pb.gz` does.
  args.push(...[profilePath].flat());
  return args;
}

let tool: Promise<string> | undefined;

/**
 * The path of the program `go tool pprof` runs. Recent Go releases ship no prebuilt pprof (Go 1.26's pkg/tool has
 * none): `go tool -n pprof` builds it into the Go cache the first time (half a minute or more on a cold cache) and
 * prints where it is. Suites call this in a beforeAll that allows for the build, as for the Go target; the reports
 * then run that program itself, without the go command's own start (about 0.2 s a call) before each.
 */
export function goPprofTool(): Promise<string> {
  tool ??= execFileAsync('go', ['tool', '-n', 'pprof'], { env: goEnv() }).then(
    ({ stdout }) => stdout.trim(),
    (err: unknown) => {
      tool = undefined; // let a later call retry
      throw new Error(`go tool -n pprof failed: ${err instanceof Error ? err.message : String(err)}`);
    },
  );
  return tool;
}

async function runPprof(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(await goPprofTool(), args, { env: goEnv(), maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/**
 * pprof's stdout, verbatim (header lines included), for formatting
 * comparisons: same flags as goPprofTop, but values scaled the way pprof
 * shows them to people unless `unit` is given.
 */
export async function goPprofTopText(profilePath: string | string[], opts: GoPprofTextOptions = {}): Promise<string> {
  return runPprof(pprofArgs(profilePath, opts));
}

/** `go tool pprof -top` as numbers in the profile's base unit. */
export async function goPprofTop(profilePath: string | string[], opts: GoPprofOptions = {}): Promise<GoPprofTop> {
  return parseTop(await goPprofTopText(profilePath, { ...opts, unit: 'ns' }));
}

// "<value>[unit]" -> number; "0" has no unit.
function parseValue(text: string): number {
  const m = /^(-?\d+(?:\.\d+)?)[a-zA-Z]*$/.exec(text);
  if (!m) throw new Error(`unexpected pprof value: ${JSON.stringify(text)}`);
  return Number(m[1]);
}

const HEADER = /^Showing nodes accounting for (\S+), \S+% of (\S+) total$/;
// printf("%10s %s %s %10s %s  %s%s"): flat flat% sum% cum cum%  name[ (inline)]
const ROW = /^\s*(\S+)\s+\S+%\s+\S+%\s+(\S+)\s+\S+%  (.*?)(?: \((?:partial-)?inline\))?$/;

export function parseTop(stdout: string): GoPprofTop {
  const lines = stdout.split('\n');
  const headerAt = lines.findIndex((l) => HEADER.test(l));
  if (headerAt < 0) throw new Error(`no "Showing nodes" header in pprof output:\n${stdout}`);
  const total = parseValue(HEADER.exec(lines[headerAt])![2]);
  const columnsAt = lines.findIndex((l, i) => i > headerAt && /^\s+flat\s+flat%/.test(l));
  if (columnsAt < 0) throw new Error(`no column header in pprof output:\n${stdout}`);

  const rows: GoPprofRow[] = [];
  for (const line of lines.slice(columnsAt + 1)) {
    if (line === '') continue;
    const m = ROW.exec(line);
    if (!m) throw new Error(`unparsed pprof row: ${JSON.stringify(line)}`);
    rows.push({ name: m[3], flat: parseValue(m[1]), cum: parseValue(m[2]) });
  }
  return { total, rows };
}

export interface GoPprofDotOptions extends GoPprofOptions {
  /** pprof's graph trimming; omitted = its defaults for dot (0.005, 0.001, 80). */
  nodeFraction?: number;
  edgeFraction?: number;
  nodeCount?: number;
}

export interface GoPprofDot {
  dot: string;
  /** Node names, from each node's tooltip ("<name> (<cum>)"), in pprof's node order. */
  nodes: string[];
  edges: Array<{ from: string; to: string; value: number; inline: boolean; residual: boolean }>;
}

/**
 * `go tool pprof -dot` with values unscaled (-unit=ns, as goPprofTop). Nodes are named by their tooltip, which
 * holds the full name escaped for DOT; nodelets (tag boxes, "N1_0") are not nodes.
 */
export async function goPprofDot(profilePath: string, opts: GoPprofDotOptions = {}): Promise<GoPprofDot> {
  const dot = await goPprofDotText(profilePath, { ...opts, unit: 'ns' });
  return { dot, ...parseDot(dot) };
}

/** `go tool pprof -dot` verbatim: values scaled as pprof shows them to people unless `unit` is given. */
export async function goPprofDotText(profilePath: string, opts: GoPprofDotOptions & { unit?: string } = {}): Promise<string> {
  const report = ['-dot'];
  if (opts.nodeFraction !== undefined) report.push(`-nodefraction=${opts.nodeFraction}`);
  if (opts.edgeFraction !== undefined) report.push(`-edgefraction=${opts.edgeFraction}`);
  if (opts.nodeCount !== undefined) report.push(`-nodecount=${opts.nodeCount}`);
  return runPprof(pprofArgs(profilePath, opts, report));
}

const DOT_STRING = '"((?:[^"\\\\]|\\\\.)*)"';
const NODE = new RegExp(`^N(\\d+) \\[label=${DOT_STRING} id="node\\d+" .*?tooltip=${DOT_STRING}`);
const EDGE = new RegExp(`^N(\\d+) -> N(\\d+) \\[label=${DOT_STRING}(.*)$`);

export function parseDot(dot: string): Omit<GoPprofDot, 'dot'> {
  const unescape = (text: string) => text.replace(/\\(.)/g, '$1');
  const names = new Map<string, string>();
  const edges: GoPprofDot['edges'] = [];
  for (const line of dot.split('\n')) {
    const node = NODE.exec(line);
    if (node) names.set(node[1], unescape(node[3]).replace(/ \([^()]*\)$/, ''));
    const edge = EDGE.exec(line);
    if (edge) {
      const label = /^ ([^\s\\]+)/.exec(edge[3]);
      edges.push({
        from: edge[1],
        to: edge[2],
        value: parseValue(label ? label[1] : '?'),
        inline: edge[3].includes('(inline)'),
        residual: edge[4].includes('style="dotted"'),
      });
    }
  }
  const name = (id: string) => names.get(id) ?? `?${id}`;
  return { nodes: [...names.values()], edges: edges.map((e) => ({ ...e, from: name(e.from), to: name(e.to) })) };
}

export interface GoPprofPeek {
  flat: number;
  cum: number;
  callers: Array<{ name: string; value: number }>;
  callees: Array<{ name: string; value: number }>;
}

/** `go tool pprof -peek '^<name>$'`, unscaled: the one node's callers and callees with edge values. */
export async function goPprofPeek(profilePath: string, name: string, opts: GoPprofOptions = {}): Promise<GoPprofPeek> {
  const regex = `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  const text = await runPprof(pprofArgs(profilePath, { ...opts, unit: 'ns' }, ['-peek', regex]));
  const peek: GoPprofPeek = { flat: NaN, cum: NaN, callers: [], callees: [] };
  let seenNode = false;
  for (const line of text.split('\n')) {
    const m = /^([^|]*)\|(.*)$/.exec(line);
    if (!m || /^-+$/.test(m[1]) || m[1].includes('flat%')) continue;
    const fields = m[1].trim().split(/\s+/);
    const other = m[2].trim().replace(/ \(inline\)$/, '');
    if (fields.length === 5) {
      seenNode = true;
      peek.flat = parseValue(fields[0]);
      peek.cum = parseValue(fields[3]);
    } else if (fields.length === 2) {
      (seenNode ? peek.callees : peek.callers).push({ name: other, value: parseValue(fields[0]) });
    }
  }
  return peek;
}

export interface GoPprofTags {
  /** The profile's total for the sample index (the "of <total>" of every key). */
  total: number;
  /** By label key: the key's total, and its values' totals as pprof prints them (numeric values with their unit, e.g. "384B"). */
  keys: Record<string, { total: number; values: Record<string, number> }>;
}

/**
 * `go tool pprof -tags`, unscaled (-unit=ns, as goPprofTop): per label key, the value summed over the samples
 * carrying it, and per value of the key. String and numeric labels alike; a numeric value prints in its unit,
 * unscaled ("73728B").
 */
export async function goPprofTags(profilePath: string, opts: GoPprofOptions = {}): Promise<GoPprofTags> {
  const text = await runPprof(pprofArgs(profilePath, { ...opts, unit: 'ns' }, ['-tags']));
  const tags: GoPprofTags = { total: NaN, keys: {} };
  let current: GoPprofTags['keys'][string] | undefined;
  for (const line of text.split('\n')) {
    // printTags: "<key>:\t Total <v> of <total> (<pct>)", then " \t<v> (<pct>):\t <value>", through a tabwriter.
    const key = /^\s*(\S.*?): +Total (\S+) of (\S+)(?: \(.*\))?$/.exec(line);
    if (key) {
      current = { total: parseValue(key[2]), values: {} };
      tags.keys[key[1]] = current;
      tags.total = parseValue(key[3]);
      continue;
    }
    const value = /^\s+(\S+)(?: \(\s*[^)]*\))?: (.*)$/.exec(line);
    if (value && current) {
      current.values[value[2]] = (current.values[value[2]] ?? 0) + parseValue(value[1]);
    } else if (line.trim() !== '') throw new Error(`unparsed pprof -tags line: ${JSON.stringify(line)}`);
  }
  return tags;
}
