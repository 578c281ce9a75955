import { parseArgs } from 'node:util';

/** What `kubectl go-profiler` was asked to do, its flags read and checked. */
export interface PluginOptions {
  namespace?: string;
  /** One pod, or a workload (deployment/NAME, ...), or a label selector: what is profiled. */
  pod?: string;
  container?: string;
  workload?: string;
  selector?: string;
  type: string;
  durationSeconds: number;
  port: number;
  /** A file (its extension says the format) or "-" (the raw profile on stdout). */
  output: string;
  /** Serve the viewer on this address until Ctrl-C, instead of writing a file. */
  serve?: string;
  collector: 'job' | 'proxy' | 'direct';
  image?: string;
  jobName: string;
  cleanup: boolean;
  timeoutSeconds: number;
  kubeconfig?: string;
  context?: string;
  /** Ask a running go-profiler service (its processor API) instead. */
  via?: string;
  quiet: boolean;
  help: boolean;
}

/** Bad flags: exit code 2, with the usage. */
export class UsageError extends Error {}

/** kubectl-pprof's -t values, and ours, to the service's profile types. */
export const TYPES: Record<string, string> = {
  cpu: 'Profile',
  profile: 'Profile',
  heap: 'Heap',
  allocs: 'Allocs',
  goroutine: 'Goroutine',
  block: 'Block',
  mutex: 'Mutex',
  threadcreate: 'Threadcreate',
  goroutineleak: 'GoroutineLeak',
};

export const USAGE = `Usage:
  kubectl go-profiler [flags] <namespace> <pod> [container]
  kubectl go-profiler [flags] <namespace> deployment/NAME      (statefulset/, daemonset/, replicaset/, job/, service/)
  kubectl go-profiler [flags] -l SELECTOR [namespace]

Takes a pprof profile of a Go program running in a pod and writes it as a flame graph (default), the raw profile,
the top table or a self-contained viewer, or serves the viewer until Ctrl-C.

Flags:
  -t, --type TYPE         cpu (default), heap, allocs, goroutine, block, mutex, threadcreate, goroutineleak
  -d, --duration 30s      how long a CPU profile runs
      --port 6060         the pod's pprof port
  -o, --output FILE       flamegraph.svg (default); .svg flame graph, .pb.gz raw profile, .json top table,
                          .html self-contained viewer, - the raw profile on stdout
      --serve [ADDR]      the full viewer on ADDR (default 127.0.0.1:0) until Ctrl-C, instead of a file
      --collector KIND    job (default: a Job on the pod's node), proxy (through the API server), direct (the pod IP)
  -i, --image IMAGE       the collector Job's image (go-profiler's own)
      --job-name PREFIX   the collector Job's name prefix (default go-profiler)
      --cleanup=false     leave the collector Job behind (default: deleted, also on Ctrl-C)
      --timeout 5m        give up after this long
      --kubeconfig FILE   as kubectl (KUBECONFIG too)
      --context NAME      as kubectl
  -n, --namespace NS      as kubectl (default: the context's, else default)
  -l, --selector SEL      every Running pod the label selector matches, merged into one profile
      --via URL           ask a running go-profiler service instead, and print its viewer's address
  -q, --quiet             no progress on stderr
  -h, --help              this text

Exit codes: 0 done, 1 failed (one line says why), 2 bad flags.`;

const WORKLOAD = /^(deployment|deploy|statefulset|sts|daemonset|ds|replicaset|rs|job|service|svc)\/./i;

/** Reads argv (after the program's name); a UsageError names what is wrong. */
export function parseFlags(argv: string[]): PluginOptions {
  const { values, positionals } = parse(serveWithOptionalValue(argv));
  if (values.help) return { ...defaults(), help: true };
  const options: PluginOptions = {
    ...defaults(),
    type: profileType(values.type),
    durationSeconds: values.duration === undefined ? 30 : seconds('--duration', values.duration),
    port: values.port === undefined ? 6060 : port(values.port),
    output: values.output ?? 'flamegraph.svg',
    serve: values.serve,
    collector: collector(values.collector),
    image: values.image,
    jobName: values['job-name'] ?? 'go-profiler',
    cleanup: flag('--cleanup', values.cleanup ?? 'true'),
    timeoutSeconds: values.timeout === undefined ? 300 : seconds('--timeout', values.timeout),
    kubeconfig: values.kubeconfig,
    context: values.context,
    namespace: values.namespace,
    selector: values.selector,
    via: values.via,
    quiet: values.quiet ?? false,
  };
  return { ...options, ...target(positionals, options) };
}

function defaults(): PluginOptions {
  return { type: 'Profile', durationSeconds: 30, port: 6060, output: 'flamegraph.svg', collector: 'job', jobName: 'go-profiler', cleanup: true, timeoutSeconds: 300, quiet: false, help: false };
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        type: { type: 'string', short: 't' },
        duration: { type: 'string', short: 'd' },
        port: { type: 'string' },
        output: { type: 'string', short: 'o' },
        serve: { type: 'string' },
        collector: { type: 'string' },
        image: { type: 'string', short: 'i' },
        'job-name': { type: 'string' },
        cleanup: { type: 'string' },
        timeout: { type: 'string' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        selector: { type: 'string', short: 'l' },
        via: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * --serve takes an optional address, which parseArgs cannot say: a bare --serve gets the default, and the next
 * argument is its address only when it looks like one (host:port, :port or a port).
 */
function serveWithOptionalValue(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--serve') out.push(argv[i]);
    else if (i + 1 < argv.length && /^(\[[^\]]+\]|[\w.-]*)?:?\d+$/.test(argv[i + 1])) out.push(`--serve=${argv[++i]}`);
    else out.push('--serve=127.0.0.1:0');
  }
  return out;
}

/** <namespace> <pod> [container], <namespace> KIND/NAME, or with -n / -l fewer. */
function target(positionals: string[], options: PluginOptions): Partial<PluginOptions> {
  const rest = [...positionals];
  const fromFlag = options.namespace;
  const many = options.selector !== undefined;
  // Without -n, a first argument is the namespace when a pod (or a workload) follows it, or with -l.
  const namespace = fromFlag ?? (rest.length >= 2 || (many && rest.length === 1) ? rest.shift() : undefined);
  if (many) {
    if (rest.length > 0) throw new UsageError(`-l profiles the pods the selector matches: unexpected ${JSON.stringify(rest[0])}`);
    return { namespace };
  }
  if (rest.length === 0) throw new UsageError('which pod? give <namespace> <pod> [container], <namespace> deployment/NAME, or -l SELECTOR');
  const [what, container, extra] = rest;
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  if (WORKLOAD.test(what)) {
    if (container !== undefined) throw new UsageError(`a workload (${what}) takes no container argument`);
    return { namespace, workload: what };
  }
  if (what.includes('/')) throw new UsageError(`unknown workload kind in ${JSON.stringify(what)}: deployment/, statefulset/, daemonset/, replicaset/, job/ or service/`);
  return { namespace, pod: what, container };
}

function profileType(value: string | undefined): string {
  if (value === undefined) return 'Profile';
  const found = TYPES[value.toLowerCase()];
  if (!found) throw new UsageError(`unknown --type ${JSON.stringify(value)}: one of ${Object.keys(TYPES).filter((t) => t !== 'profile').join(', ')}`);
  return found;
}

function collector(value: string | undefined): PluginOptions['collector'] {
  if (value === undefined) return 'job';
  if (value === 'job' || value === 'proxy' || value === 'direct') return value;
  throw new UsageError(`unknown --collector ${JSON.stringify(value)}: job, proxy or direct`);
}

/** A Go-style duration of whole seconds ("30s", "5m", "1m30s", "1h") or a number of seconds. */
export function seconds(flagName: string, text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return positive(flagName, Number(trimmed));
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(trimmed);
  if (!match || trimmed === '') throw new UsageError(`${flagName} ${JSON.stringify(text)}: a duration such as 30s, 5m or 1m30s`);
  const [, h = '0', m = '0', s = '0'] = match;
  return positive(flagName, Number(h) * 3600 + Number(m) * 60 + Number(s));
}

function positive(flagName: string, value: number): number {
  if (!(value > 0)) throw new UsageError(`${flagName} must be more than 0 seconds`);
  return value;
}

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new UsageError(`--port ${JSON.stringify(text)}: a port from 1 to 65535`);
  return value;
}

function flag(flagName: string, text: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new UsageError(`${flagName}=${text}: true or false`);
}
