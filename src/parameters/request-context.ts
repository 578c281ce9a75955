/** The executor's keys that say whose profile this is. */
export interface RequestContext {
  diagnosisNamespace?: string;
  diagnosisName?: string;
  podNamespace?: string;
  podName?: string;
  container?: string;
  node?: string;
}
