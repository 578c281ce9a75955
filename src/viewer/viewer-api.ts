import fs from 'node:fs/promises';
import { InputError, NotFoundError, ServiceError } from '../errors';
import { flameGraphSvg } from '../report/flamegraph-svg';
import { goroutineGrowth, GoroutineGrowthReport } from '../report/diff/goroutine-growth';
import { GoroutineGroup, refineGoroutines } from '../report/goroutines';
import { GRANULARITIES } from '../report/granularity';
import { REFINE_OPTION_KEYS } from '../report/refine';
import { LABEL_FRAME_KEYS, TAG_FILTER_KEYS } from '../report/tags/tag-options';
import { topTable } from '../report/top';
import { formatValue } from '../report/units';
import { ProfileInfo } from './profile-info';
import { viewsOf } from './profile-views';
import { flameQuery, isSet, parseViewQuery, refuseRepeatedKeys, searchPattern, trimOptions, ViewQuery } from './view-query';
import { ViewerProfile } from './viewer-profile';

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

/** The SVG is 1200 px wide and leaves out frames under 0.1 px, as flamegraph.pl's default --minwidth. */
const SVG_RESOLUTION = 12_000;

type Handler = (profile: ViewerProfile, query: URLSearchParams, expiresAt: Date) => Promise<ApiResponse>;

/** The viewer's JSON API and downloads: one handler per path, each a thin view over the report layer. */
export const API_ROUTES: Record<string, Handler> = {
  'api/profile': async (profile, _query, expiresAt) => json(profileInfo(profile, expiresAt)),
  'api/top': async (profile, query) => json(await top(profile, viewOf(profile, query))),
  'api/flamegraph': async (profile, query) => json(await flame(profile, viewOf(profile, query), isSet(query, 'inverted'), flameQuery(query))),
  'api/flamegraph/search': async (profile, query) => {
    const view = viewOf(profile, query);
    const request = { sampleIndex: view.sampleIndex, pattern: searchPattern(query) };
    const found = await viewsOf(profile).flameSearch({ ...view, inverted: isSet(query, 'inverted') }, request);
    return json({ ...found, total: profile.analysis.model.totals[view.sampleIndex] });
  },
  'api/peek': async (profile, query) => json(await peekAt(profile, viewOf(profile, query), query.get('function'))),
  'api/callgraph': async (profile, query) => {
    return json(await viewsOf(profile).callGraph({ ...viewOf(profile, query), trim: trimOptions(query) }));
  },
  'api/labels': async (profile, query) => {
    const view = viewOf(profile, query);
    return json(await viewsOf(profile).labels({ sampleIndex: view.sampleIndex, refine: view.refine }));
  },
  'api/goroutines': async (profile, query) => {
    const view = viewOf(profile, query);
    refuseLabelOptions(view);
    const dump = await viewsOf(profile).goroutines();
    if (!dump) return json({ available: false, total: 0, groups: [] });
    const groups = refineGoroutines(dump, view.refine);
    return json({ available: true, total: dump.total, groups, ...(await growthOf(profile, groups, view)) });
  },
  download: async (profile) => attachment(await readStored(profile), 'application/octet-stream', profile.downloadName),
  'download/flamegraph.svg': async (profile, query) => {
    const view = viewOf(profile, query);
    const inverted = isSet(query, 'inverted');
    const graph = await flame(profile, view, inverted, { zoom: [], resolution: SVG_RESOLUTION });
    const filters = REFINE_OPTION_KEYS.filter((k) => view.refine[k]).map((k) => `${k}=${view.refine[k]}`);
    const svg = flameGraphSvg(graph, {
      title: `${profile.type} profile: ${graph.sampleType}`,
      subtitle: [`${profile.source}, ${profile.fetchedAt.toISOString()}`, ...(filters.length > 0 ? [filters.join('  ')] : [])],
      rootOnTop: inverted,
    });
    return attachment(svg, 'image/svg+xml; charset=utf-8', `${stem(profile)}.flamegraph.svg`);
  },
  'download/top.json': async (profile, query) => {
    const body = JSON.stringify(await top(profile, viewOf(profile, query)));
    return attachment(body, 'application/json; charset=utf-8', `${stem(profile)}.top.json`);
  },
};

export async function handleApi(route: string, profile: ViewerProfile, query: URLSearchParams, expiresAt: Date): Promise<ApiResponse> {
  if (!Object.hasOwn(API_ROUTES, route)) throw new NotFoundError(`no such page: /${route}`);
  refuseRepeatedKeys(query);
  return API_ROUTES[route](profile, query, expiresAt);
}

function viewOf(profile: ViewerProfile, query: URLSearchParams): ViewQuery {
  return parseViewQuery(profile.analysis.data, query);
}

/** A Goroutine diff with both dumps: the groups that grew (or shrank) from the base, refined as the groups are. */
async function growthOf(profile: ViewerProfile, groups: GoroutineGroup[], view: ViewQuery): Promise<{ growth?: GoroutineGrowthReport }> {
  const base = await viewsOf(profile).baseGoroutines();
  if (!profile.diff || !base) return {};
  const growth = goroutineGrowth(refineGoroutines(base, view.refine), groups);
  return { growth: { baseFetchedAt: profile.diff.base.fetchedAt, baseTotal: base.total, groups: growth } };
}

/** The goroutine?debug=2 dump carries no labels: a label option there would silently keep everything. */
function refuseLabelOptions(view: ViewQuery): void {
  const key = [...TAG_FILTER_KEYS, ...LABEL_FRAME_KEYS].find((k) => view.refine[k]);
  if (key) {
    throw new InputError(`${key} does not apply to the goroutine dump`, [
      { key, message: 'the goroutine?debug=2 dump has no labels; api/top, api/flamegraph and api/labels take it' },
    ]);
  }
}

async function peekAt(profile: ViewerProfile, view: ViewQuery, name: string | null) {
  if (!name) throw new InputError('which function to peek at?', [{ key: 'function', message: 'is required: a node name as the top table shows it' }]);
  const result = await viewsOf(profile).peek({ granularity: view.granularity, refine: view.refine, sampleIndex: view.sampleIndex, name });
  if (!result) {
    throw new InputError(`no node named ${JSON.stringify(name.slice(0, 200))}`, [
      { key: 'function', message: 'is not a node of this view (sample type, granularity, refinement)' },
    ]);
  }
  return result;
}

async function top(profile: ViewerProfile, view: ViewQuery) {
  const request = { granularity: view.granularity, refine: view.refine };
  const [model, base] = await Promise.all([viewsOf(profile).aggregate(request), viewsOf(profile).baseAggregate(request)]);
  return topTable(profile.analysis.data, model, view.sampleIndex, Infinity, base);
}

async function flame(profile: ViewerProfile, view: ViewQuery, inverted: boolean, cut: { zoom: string[]; resolution: number }) {
  const request = { sampleIndex: view.sampleIndex, ...cut };
  return viewsOf(profile).flameGraph({ granularity: view.granularity, refine: view.refine, inverted }, request);
}

function profileInfo(profile: ViewerProfile, expiresAt: Date): ProfileInfo {
  const { data, model } = profile.analysis;
  return {
    type: profile.type,
    source: profile.source,
    fetchedAt: profile.fetchedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    time: data.timeNanos ? new Date(data.timeNanos / 1e6).toISOString() : undefined,
    durationSeconds: data.durationNanos / 1e9,
    period: data.periodType ? { value: data.period, type: data.periodType.type, unit: data.periodType.unit, text: formatValue(data.period, data.periodType.unit) } : undefined,
    mainBinary: data.mainBinary,
    comments: data.comments,
    defaultSampleType: data.sampleTypes[data.defaultSampleIndex].type,
    sampleTypes: data.sampleTypes.map((t, i) => ({ ...t, total: model.totals[i], totalText: formatValue(model.totals[i], t.unit) })),
    samples: data.sampleStart.length - 1,
    context: profile.context,
    downloadName: profile.downloadName,
    granularities: [...GRANULARITIES],
    hasGoroutineDump: profile.goroutineDump !== undefined,
    ...(profile.diff ? { diff: profile.diff } : {}),
  };
}

/** The download name without its extension: "default.e2e.Heap.prof" -> "default.e2e.Heap". */
function stem(profile: ViewerProfile): string {
  return profile.downloadName.replace(/\.[^.]*$/, '') || 'profile';
}

function json(value: unknown): ApiResponse {
  return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) };
}

function attachment(body: string | Uint8Array, contentType: string, filename: string): ApiResponse {
  const safe = filename.replace(/[^\w.-]/g, '_');
  return { status: 200, contentType, body, headers: { 'content-disposition': `attachment; filename="${safe}"` } };
}

/** The original bytes, from the store (the local folder or a bucket): a viewer holds no copy of them in memory. */
async function readStored(profile: ViewerProfile): Promise<Uint8Array> {
  const bytes = await (profile.readBytes ? profile.readBytes() : fs.readFile(profile.profilePath)).catch((error: unknown) => {
    if (error instanceof ServiceError) throw error; // the store is unavailable: say so, not "gone"
    return undefined;
  });
  if (!bytes) throw new NotFoundError(`the original profile is no longer kept at ${profile.profilePath} (DATA_RETENTION_SECONDS)`);
  return bytes;
}
