import { PROFILE_TYPES, caseInsensitivePattern } from './profile-types';

/** Every parameter key starts with this, as in KubeDiag's go-profiler. */
export const PARAM = 'param.diagnoser.runtime.go_profiler.';

export const KEYS = {
  source: `${PARAM}source`,
  type: `${PARAM}type`,
  durationSeconds: `${PARAM}duration_seconds`,
  expirationSeconds: `${PARAM}expiration_seconds`,
  secretName: `${PARAM}tls.secret_reference.name`,
  secretNamespace: `${PARAM}tls.secret_reference.namespace`,
  collector: `${PARAM}collector`,
  jobPodNamespace: `${PARAM}job.pod.namespace`,
  jobPodName: `${PARAM}job.pod.name`,
  jobPort: `${PARAM}job.port`,
  jobNode: `${PARAM}job.node`,
  jobHostNetwork: `${PARAM}job.host_network`,
  sources: `${PARAM}sources`,
  targetNamespace: `${PARAM}target.namespace`,
  targetSelector: `${PARAM}target.selector`,
  targetWorkload: `${PARAM}target.workload`,
  targetMaxPods: `${PARAM}target.max_pods`,
  diffBase: `${PARAM}diff_base`,
  diffBaseSource: `${PARAM}diff_base.source`,
  diffBaseNormalize: `${PARAM}diff_base.normalize`,
  async: `${PARAM}async`,
} as const;

/** The keys that make a request a comparison with a base (parameters/diff-base.ts). */
export const DIFF_KEYS = [KEYS.diffBase, KEYS.diffBaseSource, KEYS.diffBaseNormalize] as const;

/** The keys that make a request profile many targets at once (parameters/targets.ts). */
export const TARGET_KEYS = [KEYS.targetNamespace, KEYS.targetSelector, KEYS.targetWorkload, KEYS.targetMaxPods] as const;

/** What target.workload may name: kubectl's kinds, with their short names. */
export const WORKLOAD_KINDS = ['deployment', 'statefulset', 'daemonset', 'replicaset', 'job', 'service'] as const;

/** How the profile is collected: fetched by the service, by a Job on the target's node, or through the API server. */
export const COLLECTORS = ['http', 'job', 'proxy'] as const;

/** The executor's own keys that we keep with the profile (file name, logs, viewer header). */
export const CONTEXT_KEYS = ['diagnosis.namespace', 'diagnosis.name', 'pod.namespace', 'pod.name', 'container', 'node'] as const;

// KubeDiag sends every value as a string; people send numbers too.
const positiveInteger = (description: string) => ({
  description,
  anyOf: [
    { type: 'integer', minimum: 1 },
    { type: 'string', pattern: '^\\s*0*[1-9][0-9]{0,15}\\s*$' },
  ],
});

const nonEmptyName = (description: string) => ({
  description,
  type: 'string',
  pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$',
});

const namespaceName = (description: string) => ({
  description,
  type: 'string',
  pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$',
});

/**
 * The request body, published as-is in openapi.yaml (components.schemas.GoProfilerRequest);
 * test/openapi.test.ts keeps the two equal.
 */
export const requestSchema = {
  type: 'object',
  // source is required by the http collector, and with job.host_network; parse.ts says so per collector.
  required: [KEYS.type],
  additionalProperties: true,
  properties: {
    [KEYS.source]: {
      description:
        'Base URL of the Go program (http or https); /debug/pprof/<type> is appended unless the URL already points into /debug/pprof/. Required by the http collector and by the job collector with job.host_network (a node-local URL); not used with a pod target.',
      type: 'string',
      pattern: '^\\s*[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+',
      maxLength: 2048,
    },
    [KEYS.type]: {
      description: `Profile type, any letter case: ${PROFILE_TYPES.join(', ')}.`,
      type: 'string',
      pattern: caseInsensitivePattern(PROFILE_TYPES),
    },
    [KEYS.durationSeconds]: positiveInteger('CPU profile length in seconds (Profile only), default 30, at most 3600.'),
    [KEYS.expirationSeconds]: positiveInteger(
      'Seconds the viewer lives, default 7200; larger values are capped by MAX_EXPIRATION_SECONDS.',
    ),
    [KEYS.secretName]: nonEmptyName(
      'Secret whose `token` is sent as a bearer token and whose `ca.crt`, when present, is the trust anchor. Required for https sources; refused for http.',
    ),
    [KEYS.secretNamespace]: nonEmptyName(
      'Namespace of that Secret, default `default` (job collector: the Job namespace, the only one whose Secrets a Job can mount).',
    ),
    [KEYS.collector]: {
      description:
        "http (default): the service fetches source. job: a Job on the target's node fetches it and hands it back through its log. proxy: the service fetches through the API server's pods/proxy.",
      type: 'string',
      pattern: caseInsensitivePattern(COLLECTORS),
    },
    [KEYS.jobPodNamespace]: namespaceName("job and proxy: namespace of the target pod; default the executor's pod.namespace, else `default`."),
    [KEYS.jobPodName]: nonEmptyName("job and proxy: the target pod; default the executor's pod.name."),
    [KEYS.jobPort]: {
      description: "job and proxy: the port of the pod's /debug/pprof/, default 6060.",
      anyOf: [
        { type: 'integer', minimum: 1, maximum: 65535 },
        { type: 'string', pattern: '^\\s*0*([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])\\s*$' },
      ],
    },
    [KEYS.jobNode]: nonEmptyName("job with host_network: the node to run on; default the executor's node."),
    [KEYS.jobHostNetwork]: {
      description:
        "job only: true runs the Job in the node's network namespace to fetch a node-local source (e.g. https://127.0.0.1:10259); needs a Job namespace whose Pod Security level allows host networking.",
      anyOf: [{ type: 'boolean' }, { type: 'string', pattern: '^\\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\\s*$' }],
    },
    [KEYS.sources]: {
      description:
        'Several Go programs profiled at once and shown merged: their base URLs (as source takes them), separated by commas or whitespace, at most MAX_TARGET_PODS. Each sample is labelled source=<URL>. Not with source or target.*.',
      type: 'string',
      minLength: 1,
      maxLength: 65536,
    },
    [KEYS.targetNamespace]: namespaceName("With target.selector or target.workload: the pods' namespace; default the executor's pod.namespace, else `default`."),
    [KEYS.targetSelector]: {
      description:
        'Profile every Running pod this label selector matches (as `kubectl -l` takes it, e.g. `app=web,tier in (a,b)`), merged into one profile whose samples carry pod, namespace, node and container labels.',
      type: 'string',
      minLength: 1,
      maxLength: 4096,
    },
    [KEYS.targetWorkload]: {
      description:
        "Profile the Running pods of a workload, by its selector: deployment/NAME, statefulset/NAME, daemonset/NAME, replicaset/NAME, job/NAME or service/NAME (kubectl's short kinds deploy, sts, ds, rs, svc too).",
      type: 'string',
      pattern: '^\\s*[A-Za-z]+/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\\s*$',
    },
    [KEYS.targetMaxPods]: positiveInteger('With target.selector or target.workload: at most this many pods are profiled (the first by name), default 20, capped by MAX_TARGET_PODS.'),
    [KEYS.diffBase]: {
      description:
        "Compare with a stored profile: the `result.profile_path` of an earlier answer (a profile this service stored, of the same type), or its `result.profile_id` (the history's id). The viewer and the summary then show this capture minus that one, as `go tool pprof -diff_base`. Not with diff_base.source.",
      type: 'string',
      minLength: 1,
      maxLength: 4096,
    },
    [KEYS.diffBaseSource]: {
      description:
        'Compare with a profile fetched now from this base URL, as source is fetched (the same type, duration, collector and Secret): this pod against that one, now against the canary. Not with diff_base.',
      type: 'string',
      maxLength: 4096,
      pattern: '^\\s*[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+',
    },
    [KEYS.diffBaseNormalize]: {
      description:
        "With diff_base or diff_base.source: true scales this capture, per sample type, to the base's total before subtracting, as `go tool pprof -normalize` does (so captures of different lengths compare by shape).",
      anyOf: [{ type: 'boolean' }, { type: 'string', pattern: '^\\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\\s*$' }],
    },
    [KEYS.async]: {
      description:
        'true answers at once with the viewer\'s address, before the capture ends (for CPU profiles longer than an Operation\'s timeout); the viewer shows the capture\'s progress, then the profile, or the error. The answer has no summary then; the history lists the capture as pending until it ends.',
      anyOf: [{ type: 'boolean' }, { type: 'string', pattern: '^\\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\\s*$' }],
    },
  },
} as const;
