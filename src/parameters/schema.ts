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
} as const;

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

/**
 * The request body, published as-is in openapi.yaml (components.schemas.GoProfilerRequest);
 * test/openapi.test.ts keeps the two equal.
 */
export const requestSchema = {
  type: 'object',
  required: [KEYS.source, KEYS.type],
  additionalProperties: true,
  properties: {
    [KEYS.source]: {
      description:
        'Base URL of the Go program (http or https); /debug/pprof/<type> is appended unless the URL already points into /debug/pprof/.',
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
    [KEYS.secretNamespace]: nonEmptyName('Namespace of that Secret, default `default`.'),
  },
} as const;
