/**
 * `GET ...?watch=true`: a chunked stream of JSON lines, one watch event
 * (`{"type":"ADDED|MODIFIED|DELETED|ERROR","object":{...}}`) per line, as
 * kube-apiserver's WatchServer writes them. resourceVersion semantics follow
 * the API conventions:
 * - unset or "0": synthetic ADDED events for the objects that match now, then changes;
 * - N: every event after N from the watch cache, then changes; N older than the
 *   cache is one ERROR event with a 410 Expired Status, and the stream ends.
 * The stream ends after `timeoutSeconds` (default 30 min here; the real server
 * picks 30-60 min), or when the client goes away.
 */
import type { KubeObject, StoreEvent } from './store';
import type { Handler } from './routes';
import { parseFieldSelector, parseLabelSelector } from './selectors';

const DEFAULT_TIMEOUT_SECONDS = 1800;

interface WatchEvent {
  type: StoreEvent['type'] | 'ERROR';
  object: KubeObject | Record<string, unknown>;
}

export const watchObjects: Handler = ({ type, info, url, store, req, res }) => {
  const byLabels = parseLabelSelector(url.searchParams.get('labelSelector'));
  const byFields = parseFieldSelector(url.searchParams.get('fieldSelector'), type.fields);
  const namespace = info.namespace || undefined;
  const matches = (object: KubeObject) =>
    (namespace === undefined || object.metadata.namespace === namespace) && byLabels(object) && byFields(object);
  const relevant = (e: StoreEvent) => e.resource === type && matches(e.object);

  const initial = startingEvents(url.searchParams.get('resourceVersion'), () =>
    store.list(type, namespace).filter(matches).map((object) => ({ type: 'ADDED' as const, object })),
    store.history.filter(relevant),
    store.history[0],
  );
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const send = (event: WatchEvent) => res.write(`${JSON.stringify(event)}\n`);
  initial.forEach(send);
  if (initial.some((e) => e.type === 'ERROR')) return void res.end();

  const onChange = (e: StoreEvent) => relevant(e) && send({ type: e.type, object: e.object });
  const seconds = Number(url.searchParams.get('timeoutSeconds') ?? DEFAULT_TIMEOUT_SECONDS);
  const timer = setTimeout(() => res.end(), seconds * 1000);
  const stop = () => {
    clearTimeout(timer);
    store.events.off('change', onChange);
  };
  store.events.on('change', onChange);
  req.on('close', stop);
  res.on('close', stop);
};

function startingEvents(
  resourceVersion: string | null,
  current: () => WatchEvent[],
  cached: StoreEvent[],
  oldest: StoreEvent | undefined,
): WatchEvent[] {
  if (!resourceVersion || resourceVersion === '0') return current();
  const from = Number(resourceVersion);
  const oldestKept = oldest ? Number(oldest.object.metadata.resourceVersion) : Infinity;
  if (from < oldestKept - 1) return [{ type: 'ERROR', object: expired(from, oldestKept) }];
  return cached
    .filter((e) => Number(e.object.metadata.resourceVersion) > from)
    .map((e) => ({ type: e.type, object: e.object }));
}

/** The Status a watch from a compacted resourceVersion gets: 410 Expired, "too old resource version". */
function expired(requested: number, oldest: number): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `too old resource version: ${requested} (${oldest - 1})`,
    reason: 'Expired',
    code: 410,
  };
}
