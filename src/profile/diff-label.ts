/** The label pprof's -diff_base puts on every sample of the base: "pprof::base" = "true" (profile.DiffBaseSample). */
export const BASE_LABEL_KEY = 'pprof::base';
export const BASE_LABEL_VALUE = 'true';
