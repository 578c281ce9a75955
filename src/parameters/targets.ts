import { ErrorDetail } from '../errors';
import { PROXY_REFUSES_SECRET, readPodPort, stringValue } from './collector';
import { labelSelectorProblem } from './label-selector';
import { KEYS, TARGET_KEYS, WORKLOAD_KINDS } from './schema';

export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Every Running pod of a selector or a workload, each fetched with the request's collector. */
export interface PodGroup {
  kind: 'pods';
  collector: 'http' | 'proxy' | 'job';
  namespace: string;
  selector?: string;
  workload?: { kind: WorkloadKind; name: string };
  maxPods: number;
  port: number;
  /** https when a Secret is named, as for one pod. */
  scheme: 'http' | 'https';
  /** The key that chose the pods, for a 400 when none matches. */
  matchKey: string;
}

/** Several URLs, each fetched as `source` is. */
export interface SourceGroup {
  kind: 'sources';
  sources: URL[];
}

export type TargetGroup = PodGroup | SourceGroup;

export const DEFAULT_MAX_PODS = 20;

/** kubectl's names for the kinds target.workload takes. */
const KIND_ALIASES: Record<string, WorkloadKind> = {
  deploy: 'deployment',
  deployments: 'deployment',
  sts: 'statefulset',
  statefulsets: 'statefulset',
  ds: 'daemonset',
  daemonsets: 'daemonset',
  rs: 'replicaset',
  replicasets: 'replicaset',
  jobs: 'job',
  svc: 'service',
  services: 'service',
};

/** How logs and the viewer name a group's choice of targets: `deployment/web in apps`, `app=web in apps`, `3 sources`. */
export function describeGroup(group: TargetGroup): string {
  if (group.kind === 'sources') return `${group.sources.length} sources`;
  return `${group.workload ? `${group.workload.kind}/${group.workload.name}` : group.selector} in ${group.namespace}`;
}

/** True when the request names many targets (sources or target.*) rather than one. */
export function isGroupRequest(params: Record<string, unknown>): boolean {
  return [KEYS.sources, ...TARGET_KEYS].some((key) => params[key] !== undefined);
}

export interface GroupInput {
  params: Record<string, unknown>;
  executorNamespace?: string;
  hasSecret: boolean;
  maxTargets: number;
}

/** Reads sources or target.* into a TargetGroup, with one detail per key that does not fit. */
export function readTargetGroup(input: GroupInput): { group?: TargetGroup; problems: ErrorDetail[] } {
  const { params } = input;
  const given = (key: string) => params[key] !== undefined;
  const problems: ErrorDetail[] = [];
  if (given(KEYS.sources)) {
    for (const key of [KEYS.source, ...TARGET_KEYS]) {
      if (given(key)) problems.push({ key, message: 'is not used with sources: give either sources, or source, or target.selector/target.workload' });
    }
    const sources = readSources(String(params[KEYS.sources]), input.maxTargets, problems);
    refuseCollectorKeys(params, problems, 'sources are fetched by the service itself (collector http)', true);
    return { group: sources && { kind: 'sources', sources }, problems };
  }
  return readPodGroup(input, problems);
}

function readPodGroup(input: GroupInput, problems: ErrorDetail[]): { group?: PodGroup; problems: ErrorDetail[] } {
  const { params } = input;
  const given = (key: string) => params[key] !== undefined;
  const collector = String(params[KEYS.collector] ?? 'http').trim().toLowerCase() as PodGroup['collector'];
  if (given(KEYS.source)) problems.push({ key: KEYS.source, message: 'is not used with target.*: the pods are fetched at their pod IPs (or through the API server)' });
  refuseCollectorKeys(params, problems, 'target.* names the pods', false);
  if (collector === 'proxy' && input.hasSecret) {
    problems.push({ key: KEYS.secretName, message: PROXY_REFUSES_SECRET });
  }
  const selector = stringValue(params[KEYS.targetSelector]);
  const workload = stringValue(params[KEYS.targetWorkload]);
  if (selector && workload) problems.push({ key: KEYS.targetWorkload, message: 'is not used with target.selector: give one of the two' });
  if (!selector && !workload) problems.push({ key: KEYS.targetSelector, message: 'is required with target.* (or target.workload)' });
  const selectorProblem = selector ? labelSelectorProblem(selector) : undefined;
  if (selectorProblem) problems.push({ key: KEYS.targetSelector, message: `is not a label selector: ${selectorProblem}` });
  const kind = workload ? workloadKind(workload) : undefined;
  if (workload && !kind) {
    problems.push({ key: KEYS.targetWorkload, message: `names a kind we do not know (${JSON.stringify(workload.split('/')[0].slice(0, 40))}): use ${WORKLOAD_KINDS.join(', ')}` });
  }
  if (problems.length > 0) return { problems };
  const requested = params[KEYS.targetMaxPods] === undefined ? DEFAULT_MAX_PODS : Number(String(params[KEYS.targetMaxPods]).trim());
  return {
    group: {
      kind: 'pods',
      collector,
      namespace: stringValue(params[KEYS.targetNamespace]) ?? input.executorNamespace ?? 'default',
      selector,
      workload: workload && kind ? { kind, name: workload.split('/')[1] } : undefined,
      maxPods: Math.min(requested, input.maxTargets),
      port: readPodPort(params),
      scheme: input.hasSecret ? 'https' : 'http',
      matchKey: selector ? KEYS.targetSelector : KEYS.targetWorkload,
    },
    problems,
  };
}

/** The pod and node of one target come from the group; job.port says where /debug/pprof/ listens. */
function refuseCollectorKeys(params: Record<string, unknown>, problems: ErrorDetail[], why: string, portToo: boolean): void {
  const keys = [KEYS.jobPodNamespace, KEYS.jobPodName, KEYS.jobNode, KEYS.jobHostNetwork, ...(portToo ? [KEYS.jobPort] : [])];
  for (const key of keys) if (params[key] !== undefined) problems.push({ key, message: `is not used here: ${why}` });
  if (portToo && params[KEYS.collector] !== undefined && String(params[KEYS.collector]).trim().toLowerCase() !== 'http') {
    problems.push({ key: KEYS.collector, message: `must be http with sources: ${why}` });
  }
}

function readSources(text: string, maxTargets: number, problems: ErrorDetail[]): URL[] | undefined {
  const fail = (message: string) => {
    problems.push({ key: KEYS.sources, message });
    return undefined;
  };
  const items = text.split(/[\s,]+/).filter(Boolean);
  if (items.length === 0) return fail('lists no URL');
  if (items.length > maxTargets) return fail(`lists ${items.length} URLs, more than ${maxTargets} (MAX_TARGET_PODS)`);
  const urls: URL[] = [];
  for (const [i, item] of items.entries()) {
    const where = `URL ${i + 1} (${JSON.stringify(item.slice(0, 80))})`;
    const url = URL.canParse(item) ? new URL(item) : undefined;
    if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) return fail(`has ${where}, which is not an http:// or https:// URL with a host`);
    if (url.username || url.password) return fail(`has ${where}, which carries credentials; use a Secret reference`);
    if (urls.some((u) => u.href === url.href)) return fail(`lists ${where} twice`);
    urls.push(url);
  }
  return urls;
}

function workloadKind(workload: string): WorkloadKind | undefined {
  const kind = workload.split('/')[0].toLowerCase();
  return (WORKLOAD_KINDS as readonly string[]).includes(kind) ? (kind as WorkloadKind) : KIND_ALIASES[kind];
}
