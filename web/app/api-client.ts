import type { ApiErrorBody, CallGraph, CaptureStatus, FlameGraphJson, FlameSearchJson, Goroutines, LabelsJson, Peek, ProfileInfo, TopTable } from './api-types';

/** An error answer from the viewer's API, with the query key it blames when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.details?.length ? `${body.error}: ${body.details.map((d) => d.message).join('; ')}` : body.error);
  }

  /** The first query key the server blamed, if any (e.g. "focus" for a bad regex). */
  get key(): string | undefined {
    return this.body.details?.find((d) => d.key)?.key;
  }
}

/** Paths are relative: the page is served both at / and under /viewer/<id>/. */
async function getJson<T>(path: string, query?: URLSearchParams): Promise<T> {
  const search = query?.toString();
  const response = await fetch(search ? `${path}?${search}` : path);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(response.status, { error: `${path} answered ${response.status} with something other than JSON` });
  }
  if (!response.ok) throw new ApiError(response.status, body as ApiErrorBody);
  return body as T;
}

/** Remembers answers by URL: switching views or toggling back must not refetch. */
const cache = new Map<string, Promise<unknown>>();

function cached<T>(path: string, query: URLSearchParams): Promise<T> {
  const key = `${path}?${query}`;
  let answer = cache.get(key) as Promise<T> | undefined;
  if (!answer) {
    answer = getJson<T>(path, query);
    answer.catch(() => cache.delete(key));
    cache.set(key, answer);
  }
  return answer;
}

export const api = {
  /** Where the capture is: asked again while it runs, so never cached. */
  status: () => getJson<CaptureStatus>('api/status'),
  profile: () => cached<ProfileInfo>('api/profile', new URLSearchParams()),
  top: (refine: URLSearchParams) => cached<TopTable>('api/top', refine),
  /** The flame graph zoomed to a frame (names from the root), with its callers and what is wide enough to draw. */
  flameGraph: (refine: URLSearchParams, inverted: boolean, zoom: string[], resolution: number) => {
    const query = withValue(withFlag(refine, 'inverted', inverted), 'resolution', String(resolution));
    for (const name of zoom) query.append('zoom', name);
    return cached<FlameGraphJson>('api/flamegraph', query);
  },
  /** What a search covers, counted over every stack (the page holds only what it can draw). */
  flameSearch: (refine: URLSearchParams, inverted: boolean, pattern: string) =>
    cached<FlameSearchJson>('api/flamegraph/search', withValue(withFlag(refine, 'inverted', inverted), 'pattern', pattern)),
  peek: (refine: URLSearchParams, fn: string) => cached<Peek>('api/peek', withValue(refine, 'function', fn)),
  callGraph: (refine: URLSearchParams) => cached<CallGraph>('api/callgraph', refine),
  goroutines: (refine: URLSearchParams) => cached<Goroutines>('api/goroutines', refine),
  labels: (refine: URLSearchParams) => cached<LabelsJson>('api/labels', refine),
};

function withFlag(query: URLSearchParams, key: string, on: boolean): URLSearchParams {
  return on ? withValue(query, key, '1') : new URLSearchParams(query);
}

function withValue(query: URLSearchParams, key: string, value: string): URLSearchParams {
  const copy = new URLSearchParams(query);
  copy.set(key, value);
  return copy;
}
