import { InputError, NotFoundError } from '../errors';
import { flameGraph } from '../report/flamegraph';
import { topTable } from '../report/top';
import { formatValue } from '../report/units';
import { ViewerProfile } from './viewer-profile';

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

type Handler = (profile: ViewerProfile, query: URLSearchParams, expiresAt: Date) => ApiResponse;

/** The viewer's JSON API: one handler per path, each a thin view over the report layer. */
export const API_ROUTES: Record<string, Handler> = {
  'api/profile': (profile, _query, expiresAt) => json(profileInfo(profile, expiresAt)),
  'api/top': (profile, query) => {
    const index = sampleIndex(profile, query);
    return json(topTable(profile.analysis.data, profile.analysis.model, index));
  },
  'api/flamegraph': (profile, query) => {
    const index = sampleIndex(profile, query);
    return json(flameGraph(profile.analysis.data, profile.analysis.model, index));
  },
  download: (profile) => ({
    status: 200,
    contentType: 'application/octet-stream',
    body: profile.raw,
    headers: { 'content-disposition': `attachment; filename="${profile.downloadName}"` },
  }),
};

export function handleApi(route: string, profile: ViewerProfile, query: URLSearchParams, expiresAt: Date): ApiResponse {
  const handler = API_ROUTES[route];
  if (!handler) throw new NotFoundError(`no such page: /${route}`);
  return handler(profile, query, expiresAt);
}

function profileInfo(profile: ViewerProfile, expiresAt: Date) {
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
  };
}

function sampleIndex(profile: ViewerProfile, query: URLSearchParams): number {
  const { sampleTypes, defaultSampleIndex } = profile.analysis.data;
  const wanted = query.get('sample');
  if (!wanted) return defaultSampleIndex;
  const index = sampleTypes.findIndex((t) => t.type === wanted);
  if (index < 0) {
    throw new InputError(`unknown sample type ${JSON.stringify(wanted)}`, [
      { key: 'sample', message: `must be one of ${sampleTypes.map((t) => t.type).join(', ')}` },
    ]);
  }
  return index;
}

function json(value: unknown): ApiResponse {
  return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(value) };
}
