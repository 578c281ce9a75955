import type { Writable } from 'node:stream';
import { locateTargetPod, podBaseUrl } from '../acquire/target-pod';
import { KubeProvider, kubeProviderFromEnvironment } from '../acquire/kube/clients';
import { InputError } from '../errors';
import { KEYS } from '../parameters/schema';
import { ViewerServer } from '../viewer/viewer-server';
import { parseFlags, PluginOptions, UsageError, USAGE } from './flags';
import { LocalProfiler } from './local-profiler';
import { outputFormat, writeOutput } from './outputs';
import { pluginRequestBody } from './plugin-request';
import { bytes, Progress } from './progress';
import { ENDPOINT, VIEWER_URL, viaService } from './via-service';

export interface CommandIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  /** Ctrl-C: the collection stops and its Job is deleted. */
  interrupted: AbortSignal;
  /** For --serve: resolves when the viewer should stop (Ctrl-C). */
  untilStopped?: Promise<void>;
}

/** Exit codes scripts can rely on: 0 done, 1 failed (one line says why), 2 bad flags, 130 interrupted. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** The version the default collector image carries (the package's). */
const DEFAULT_IMAGE = 'go-profiler:0.1.0';

/** `kubectl go-profiler ...`: flags -> the service's request -> the same core -> a file, stdout or a viewer. */
export async function runCommand(argv: string[], io: CommandIo): Promise<number> {
  let options: PluginOptions;
  try {
    options = parseFlags(argv);
    if (options.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (options.serve === undefined && !options.via) outputFormat(options.output);
  } catch (error) {
    return usage(io, error as Error);
  }
  const progress = new Progress(io.stderr, options.quiet);
  try {
    return await (options.via ? askService(options, io, progress) : profileHere(options, io, progress));
  } catch (error) {
    if (io.interrupted.aborted) {
      progress.line('Interrupted: stopped, and the collector Job deleted');
      return EXIT.interrupted;
    }
    // A request the parser refuses is a bad flag; anything later (a pod that does not exist, ...) a failure.
    if (error instanceof UsageError) return usage(io, error);
    io.stderr.write(`kubectl-go_profiler: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
}

async function profileHere(options: PluginOptions, io: CommandIo, progress: Progress): Promise<number> {
  const kube = kubeProviderFromEnvironment({ env: options.kubeconfig ? { ...io.env, KUBECONFIG: options.kubeconfig } : io.env, context: options.context });
  const namespace = options.namespace ?? kube.namespace ?? 'default';
  const source = options.collector === 'direct' && options.pod ? await podSource(kube, namespace, options) : undefined;
  const cpuSeconds = options.type === 'Profile' ? options.durationSeconds : undefined;
  const local = new LocalProfiler({
    kube,
    namespace,
    image: options.image ?? io.env.GO_PROFILER_IMAGE ?? DEFAULT_IMAGE,
    jobNamePrefix: options.jobName,
    keepJobs: !options.cleanup,
    timeoutSeconds: options.timeoutSeconds,
    progress: progress.collector(cpuSeconds),
  });
  try {
    const request = parsed(() => local.parse(pluginRequestBody(options, namespace, source?.href)));
    progress.line(`Profiling ${describeTarget(options, namespace)} (${options.type}${cpuSeconds ? `, ${cpuSeconds} s` : ''}) with the ${options.collector} collector`);
    if (options.collector !== 'job' && cpuSeconds) progress.startCountdown(cpuSeconds);
    const { profiled, viewer } = await withTimeout(options.timeoutSeconds, io.interrupted, (signal) => local.profile(request, signal));
    progress.stopCountdown();
    if (options.collector !== 'job') progress.line(`Brought back ${bytes(profiled.bytes.length)}`);
    if (options.serve !== undefined) return await serve(options.serve, viewer, io, progress);
    const written = await writeOutput(options.output, viewer, profiled.bytes, io.stdout);
    progress.line(options.output === '-' ? `Wrote ${bytes(written)} to stdout` : `Wrote ${options.output} (${bytes(written)})`);
    return EXIT.ok;
  } finally {
    progress.stopCountdown();
    await local.close();
  }
}

/** --via: the service does the work; its viewer's address goes to stdout. */
async function askService(options: PluginOptions, io: CommandIo, progress: Progress): Promise<number> {
  const namespace = options.namespace ?? 'default';
  progress.line(`Asking ${options.via} to profile ${describeTarget(options, namespace)} (${options.type})`);
  const answer = await viaService(options.via as string, pluginRequestBody(options, namespace), io.interrupted);
  progress.line(answer[ENDPOINT] ?? '');
  io.stdout.write(`${answer[VIEWER_URL]}\n`);
  return EXIT.ok;
}

/** --serve: the full viewer until Ctrl-C, as `go tool pprof -http`; its address on stdout. */
async function serve(address: string, viewer: Parameters<typeof writeOutput>[1], io: CommandIo, progress: Progress): Promise<number> {
  const { host, port } = hostPort(address);
  const server = new ViewerServer(viewer, new Date(Date.now() + 365 * 24 * 3600 * 1000));
  const bound = await server.listen(host, port);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`;
  io.stdout.write(`${url}\n`);
  progress.line(`Serving the viewer at ${url}; Ctrl-C stops it`);
  await (io.untilStopped ?? new Promise<void>((resolve) => io.interrupted.addEventListener('abort', () => resolve(), { once: true })));
  await server.close();
  return EXIT.ok;
}

/** collector direct: the pod's own address, as the laptop reaches it. */
async function podSource(kube: KubeProvider, namespace: string, options: PluginOptions): Promise<URL> {
  const pod = { namespace, name: options.pod as string, nameKey: 'pod.name', container: options.container, port: options.port, scheme: 'http' as const };
  const located = await locateTargetPod(kube, pod);
  return podBaseUrl('http', located.podIP, options.port);
}

/** The parser's refusals are the flags' fault: exit 2, naming the flag the key came from. */
function parsed<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof InputError) throw new UsageError(error.details.map((d) => `${flagOf(d.key)}: ${d.message}`).join('; ') || error.message);
    throw error;
  }
}

const FLAG_OF: Record<string, string> = {
  [KEYS.type]: '--type',
  [KEYS.durationSeconds]: '--duration',
  [KEYS.jobPort]: '--port',
  [KEYS.targetSelector]: '--selector',
  [KEYS.targetWorkload]: 'the workload',
  [KEYS.targetNamespace]: '--namespace',
  [KEYS.source]: 'the pod',
  'pod.name': 'the pod',
  'pod.namespace': '--namespace',
};

function flagOf(key: string | undefined): string {
  return (key && FLAG_OF[key]) ?? key ?? 'the request';
}

function describeTarget(options: PluginOptions, namespace: string): string {
  if (options.selector) return `the pods of ${namespace} matching ${options.selector}`;
  if (options.workload) return `${namespace}/${options.workload}`;
  return `pod ${namespace}/${options.pod}${options.container ? ` (container ${options.container})` : ''}`;
}

/** --timeout bounds the whole collection; Ctrl-C ends it at once. */
async function withTimeout<T>(seconds: number, interrupted: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeout = AbortSignal.timeout(seconds * 1000);
  const signal = AbortSignal.any([interrupted, timeout]);
  try {
    return await work(signal);
  } catch (error) {
    if (timeout.aborted && !interrupted.aborted) throw new Error(`no profile within --timeout ${seconds} s`);
    throw error;
  }
}

/** "8080", ":8080", "0.0.0.0:8080", "[::1]:8080" or "localhost": where --serve listens (port 0: any free one). */
function hostPort(address: string): { host: string; port: number } {
  if (/^\d+$/.test(address)) return { host: '127.0.0.1', port: Number(address) };
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (v6) return { host: v6[1], port: Number(v6[2] ?? 0) };
  const colon = address.lastIndexOf(':');
  if (colon < 0) return { host: address || '127.0.0.1', port: 0 };
  return { host: address.slice(0, colon) || '127.0.0.1', port: Number(address.slice(colon + 1) || 0) };
}

function usage(io: CommandIo, error: Error): number {
  io.stderr.write(`kubectl-go_profiler: ${error.message}\nRun kubectl go-profiler --help for the flags.\n`);
  return EXIT.usage;
}

