import fs from 'node:fs/promises';
import { InputError } from '../../errors';
import type { CallGraphData } from '../../report/callgraph';
import { FlameGraphData, MAX_RESOLUTION } from '../../report/flamegraph';
import type { TopTable } from '../../report/top';
import type { ProfileInfo } from '../profile-info';
import { ApiResponse, handleApi } from '../viewer-api';
import { ViewerProfile } from '../viewer-profile';
import { DEFAULT_DEEPEN_LIMITS, deepenFlame, DeepenLimits } from './flame-deepen';
import { OfflineData } from './offline-data';
import { answerKey } from './offline-keys';

export interface OfflineAnswersOptions {
  /** Per sample type, how many functions (the heaviest by cum) get their callers and callees; the call graph's nodes do too. */
  peekFunctions?: number;
  /** The flame graphs' resolution at the root: zooms into frames worth at least width / resolution of it need nothing more. */
  flameResolution?: number;
  /** How many more server cuts may deepen each root flame graph where it left frames out (0: none); see flame-deepen.ts. */
  flameCuts?: number;
  /** The original profile as a download, read from where the processor kept it (when it still is). */
  includeProfile?: boolean;
  writtenAt?: Date;
}

export const DEFAULT_PEEK_FUNCTIONS = 50;

/**
 * The API's answers to what the page asks first and most, by the server's own handlers (so the numbers are the
 * server's): for every sample type, unrefined, the top table, the flame graph at the root (and inverted), the call
 * graph, labels, goroutines, the peek of the heaviest functions, and the downloads the page links.
 */
export async function offlineAnswers(profile: ViewerProfile, options: OfflineAnswersOptions = {}): Promise<OfflineData> {
  const writtenAt = options.writtenAt ?? new Date();
  const flameResolution = options.flameResolution ?? MAX_RESOLUTION;
  const collector = new AnswerCollector(profile, writtenAt);
  const info = await collector.json<ProfileInfo>('api/profile', new URLSearchParams());
  if (!info) throw new Error('writing the offline viewer: /api/profile gave no answer');
  collector.defaultSampleType = info.defaultSampleType;
  for (const type of info.sampleTypes) {
    const refine = new URLSearchParams(type.type === info.defaultSampleType ? {} : { sample: type.type });
    const flat = new URLSearchParams({ ...Object.fromEntries(refine), resolution: String(flameResolution) });
    const inverted = new URLSearchParams({ ...Object.fromEntries(flat), inverted: '1' });
    const [top, graph] = await Promise.all([
      collector.json<TopTable>('api/top', refine),
      collector.json<CallGraphData>('api/callgraph', refine),
      collector.json('api/labels', refine),
      collector.json('api/goroutines', refine),
      collector.json('api/flamegraph', flat),
      collector.json('api/flamegraph', inverted),
      collector.download('download/flamegraph.svg', refine),
      collector.download('download/flamegraph.svg', new URLSearchParams({ ...Object.fromEntries(refine), inverted: '1' })),
      collector.download('download/top.json', refine),
    ]);
    const limits = { ...DEFAULT_DEEPEN_LIMITS, ...(options.flameCuts === undefined ? {} : { cuts: options.flameCuts }) };
    for (const query of [flat, inverted]) await collector.deepenFlame(query, limits);
    for (const name of peekNames(top, graph, options.peekFunctions ?? DEFAULT_PEEK_FUNCTIONS)) {
      await collector.json('api/peek', new URLSearchParams({ ...Object.fromEntries(refine), function: name }));
    }
  }
  if (options.includeProfile ?? true) await collector.original();
  return { format: 1, writtenAt: writtenAt.toISOString(), defaultSampleType: info.defaultSampleType, answers: collector.answers, flameResolution, downloads: collector.downloads };
}

/** The heaviest functions by cum, then the call graph's nodes (a click on one opens its peek). */
function peekNames(top: TopTable | undefined, graph: CallGraphData | undefined, count: number): Set<string> {
  const rows = [...(top?.rows ?? [])].sort((a, b) => Math.abs(b.cum) - Math.abs(a.cum));
  return new Set([...rows.slice(0, count).map((r) => r.name), ...(graph?.nodes ?? []).map((n) => n.name)]);
}

class AnswerCollector {
  readonly answers: OfflineData['answers'] = {};
  readonly downloads: OfflineData['downloads'] = {};
  defaultSampleType = '';

  constructor(
    private readonly profile: ViewerProfile,
    private readonly writtenAt: Date,
  ) {}

  /** The answer, kept under its key; undefined when the server refuses the question for this profile (then the page says it is not in the file). */
  async json<T>(route: string, query: URLSearchParams): Promise<T | undefined> {
    const answer = await this.ask(route, query);
    if (!answer) return undefined;
    const value = JSON.parse(String(answer.body)) as T;
    this.answers[answerKey(route, query, this.defaultSampleType)] = value;
    return value;
  }

  /** The root flame graph kept for `query`, deepened by the server's cuts where it left frames out. */
  async deepenFlame(query: URLSearchParams, limits: DeepenLimits): Promise<void> {
    const key = answerKey('api/flamegraph', query, this.defaultSampleType);
    const root = this.answers[key] as FlameGraphData | undefined;
    if (!root) return;
    this.answers[key] = await deepenFlame(root, async (zoom) => {
      const zoomed = new URLSearchParams(query);
      for (const frame of zoom) zoomed.append('zoom', frame);
      const answer = await this.ask('api/flamegraph', zoomed);
      return answer && (JSON.parse(String(answer.body)) as FlameGraphData);
    }, limits);
  }

  async download(route: string, query: URLSearchParams): Promise<void> {
    const answer = await this.ask(route, query);
    if (!answer) return;
    const filename = /filename="([^"]*)"/.exec(answer.headers?.['content-disposition'] ?? '')?.[1] ?? route.split('/').pop() ?? 'download';
    this.downloads[answerKey(route, query, this.defaultSampleType)] = { filename, contentType: answer.contentType, body: String(answer.body) };
  }

  /** The bytes as fetched, when the file under DATA_ROOT is still there: the page's first download. */
  async original(): Promise<void> {
    const bytes = await fs.readFile(this.profile.profilePath).catch(() => undefined);
    if (!bytes) return;
    this.downloads.download = { filename: this.profile.downloadName, contentType: 'application/octet-stream', body: bytes.toString('base64'), base64: true };
  }

  private async ask(route: string, query: URLSearchParams): Promise<ApiResponse | undefined> {
    try {
      return await handleApi(route, this.profile, query, this.writtenAt);
    } catch (error) {
      if (error instanceof InputError) return undefined;
      throw new Error(`writing the offline viewer: /${route}?${query}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
