/** The executor's keys that say whose profile this is. */
export interface RequestContext {
  diagnosisNamespace?: string;
  diagnosisName?: string;
  podNamespace?: string;
  podName?: string;
  container?: string;
  node?: string;
}

/** "<namespace>/<pod>" as logs and provenance name the pod, undefined when the request names none. */
export function podOf(context: RequestContext): string | undefined {
  return [context.podNamespace, context.podName].filter(Boolean).join('/') || undefined;
}
