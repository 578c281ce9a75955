// One name per API answer, the same for the request the page sends and the answer the writer stored: the query in
// key order, with what the server reads as absent or default left out. Pure: the page imports it too.

/** The flame graph's zoom and resolution are matched apart (the page cuts its zooms from the held root cut). */
const FLAME_CUT_KEYS = ['zoom', 'resolution'];
const FLAGS = new Set(['inverted']);

export function answerKey(route: string, query: URLSearchParams, defaultSampleType: string): string {
  const kept = new URLSearchParams();
  const flame = route === 'api/flamegraph' || route === 'api/flamegraph/search' || route === 'download/flamegraph.svg';
  for (const [key, value] of query) {
    if (value === '' || (flame && FLAME_CUT_KEYS.includes(key))) continue; // empty is absent, as the server reads it
    if (key === 'sample' && value === defaultSampleType) continue;
    if (key === 'granularity' && value === 'functions') continue;
    if (FLAGS.has(key)) {
      if (value === '1' || value === 'true') kept.append(key, '1');
      else if (value !== '0' && value !== 'false') kept.append(key, value);
      continue;
    }
    kept.append(key, value);
  }
  kept.sort();
  const search = kept.toString();
  return search ? `${route}?${search}` : route;
}
