import { Aggregate } from '../report/aggregate';
import { isDiffProfile } from '../report/diff/base-samples';
import { CallGraphData, CallGraphRequest } from '../report/callgraph';
import { FlameSearchRequest, FlameSearchResult, searchByCum } from '../report/flame-search';
import { FlameStacks, FlameStacksOptions } from '../report/flame-stacks';
import { FlameGraphData, FlameGraphRequest } from '../report/flamegraph';
import { GoroutineDump } from '../report/goroutines';
import { PeekData, PeekRequest } from '../report/peek';
import { Granularity } from '../report/granularity';
import { INLINE_RUNNER, ReportRunner } from '../report/jobs';
import { isRefined, RefineOptions } from '../report/refine';
import { LabelBreakdown, LabelsRequest } from '../report/tags/label-breakdown';
import { cacheKey } from './view-query';
import { ViewerProfile } from './viewer-profile';

/** How many refined aggregates, call graphs, peeks and flame graph answers a viewer keeps (each is small). */
const CACHED_VIEWS = 16;
/** How many sets of flame stacks a viewer keeps (unrefined: about 9 bytes a sample; refined: 2 bytes a frame of every sample). */
const CACHED_STACKS = 2;

export interface AggregateRequest {
  granularity: Granularity;
  refine: RefineOptions;
}

/** A flame graph view: what its stacks depend on. */
export type FlameRequest = FlameStacksOptions;

/**
 * One viewer's computed views. The default aggregate came with the decode; refined ones, call graphs and flame
 * graphs are built by the report runner (the worker pool) and the latest few kept.
 */
export class ProfileViews {
  private readonly cache = new Lru(CACHED_VIEWS);
  private readonly stacksCache = new Lru(CACHED_STACKS);
  private goroutineDump?: Promise<GoroutineDump | undefined>;
  private baseGoroutineDump?: Promise<GoroutineDump | undefined>;

  constructor(private readonly profile: ViewerProfile) {}

  private get runner(): ReportRunner {
    return this.profile.reports ?? INLINE_RUNNER;
  }

  /** The aggregate for a request: the decode's own model when nothing is refined. */
  aggregate(request: AggregateRequest): Promise<Aggregate> {
    const { data, model } = this.profile.analysis;
    if (!isRefined(request.refine) && request.granularity === 'functions') return Promise.resolve(model);
    const options = { granularity: request.granularity, refine: request.refine };
    return this.cache.get(cacheKey({ view: 'aggregate', ...options }), () => this.runner.report(data, { kind: 'aggregate', options }));
  }

  /** A diff's base side of the same view: its samples alone, negative as in the diff (undefined: not a diff). */
  baseAggregate(request: AggregateRequest): Promise<Aggregate> | undefined {
    const { data } = this.profile.analysis;
    if (!isDiffProfile(data)) return undefined;
    const options = { granularity: request.granularity, refine: request.refine, baseOnly: true };
    return this.cache.get(cacheKey({ view: 'aggregate', ...options }), () => this.runner.report(data, { kind: 'aggregate', options }));
  }

  callGraph(request: CallGraphRequest): Promise<CallGraphData> {
    const { data } = this.profile.analysis;
    return this.cache.get(cacheKey({ view: 'callgraph', ...request }), () => this.runner.report(data, { kind: 'callgraph', request }));
  }

  /** The label keys and values of the samples the view keeps, each value with its hottest function. */
  labels(request: LabelsRequest): Promise<LabelBreakdown> {
    const { data } = this.profile.analysis;
    return this.cache.get(cacheKey({ view: 'labels', ...request }), () => this.runner.report(data, { kind: 'labels', request }));
  }

  /** Callers and callees of one node, from a scan of the stacks in a worker (undefined: no such node). */
  peek(request: PeekRequest): Promise<PeekData | undefined> {
    const { data } = this.profile.analysis;
    return this.cache.get(cacheKey({ view: 'peek', ...request }), () => this.runner.report(data, { kind: 'peek', request }));
  }

  /** The flame graph for one zoom, cut in a worker from the view's stacks (built once per view, in a worker too). */
  async flameGraph(view: FlameRequest, request: FlameGraphRequest): Promise<FlameGraphData> {
    const { data, model } = this.profile.analysis;
    const stacks = await this.flameStacks(view);
    const key = cacheKey({ view: 'flamegraph', ...flameView(view), ...request });
    const total = model.totals[request.sampleIndex];
    return this.cache.get(key, () => this.runner.report(data, { kind: 'flamegraph', stacks, request, total }));
  }

  /**
   * What a search covers: from the decode's cum when one function matches and nothing is refined, else a scan of
   * the stacks; in a diff always the scan, which sums the frames' widths (the cum is new minus base).
   */
  async flameSearch(view: FlameRequest, request: FlameSearchRequest): Promise<FlameSearchResult> {
    const { data, model } = this.profile.analysis;
    const byCum = !isRefined(view.refine) && view.granularity === 'functions' && !isDiffProfile(data) ? searchByCum(model, request) : undefined;
    if (byCum) return byCum;
    const stacks = await this.flameStacks(view);
    const key = cacheKey({ view: 'flamesearch', ...flameView(view), ...request });
    return this.cache.get(key, () => this.runner.report(data, { kind: 'flamesearch', stacks, request }));
  }

  private flameStacks(view: FlameRequest): Promise<FlameStacks> {
    const { data } = this.profile.analysis;
    const options = flameView(view);
    return this.stacksCache.get(cacheKey({ ...options }), () => this.runner.report(data, { kind: 'flamestacks', options }));
  }

  /** The goroutine?debug=2 text, grouped by the report runner (a worker); parsed once. */
  goroutines(): Promise<GoroutineDump | undefined> {
    return (this.goroutineDump ??= this.parseDump(this.profile.goroutineDump, () => (this.goroutineDump = undefined)));
  }

  /** A Goroutine diff's base dump, grouped; parsed once. */
  baseGoroutines(): Promise<GoroutineDump | undefined> {
    return (this.baseGoroutineDump ??= this.parseDump(this.profile.baseGoroutineDump, () => (this.baseGoroutineDump = undefined)));
  }

  /** A parse that failed (its worker stopped, say) is not kept: the next request tries again. */
  private parseDump(dump: string | undefined, forget: () => void): Promise<GoroutineDump | undefined> {
    if (dump === undefined) return Promise.resolve(undefined);
    return this.runner.report(this.profile.analysis.data, { kind: 'goroutines', dump }).catch((error: unknown) => {
      forget();
      throw error;
    });
  }
}

/** Only what the stacks depend on, so that equal views share them. */
function flameView({ granularity, refine, inverted }: FlameRequest): FlameStacksOptions {
  return { granularity, refine, inverted };
}

/**
 * The latest few answers, promises and all, so that a page asking for several views at once starts each
 * computation only once. A failed computation is forgotten, so asking again retries.
 */
class Lru {
  private readonly entries = new Map<string, Promise<unknown>>();

  constructor(private readonly size: number) {}

  get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key) as Promise<T> | undefined;
    if (hit) {
      this.entries.delete(key); // re-insert: Map order is the recency order
      this.entries.set(key, hit);
      return hit;
    }
    const promise = compute();
    this.entries.set(key, promise);
    promise.catch(() => this.entries.get(key) === promise && this.entries.delete(key));
    while (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value as string);
    return promise;
  }
}

const views = new WeakMap<ViewerProfile, ProfileViews>();

/** The views of a profile, kept as long as the profile is (a viewer drops it at expiry). */
export function viewsOf(profile: ViewerProfile): ProfileViews {
  let found = views.get(profile);
  if (!found) {
    found = new ProfileViews(profile);
    views.set(profile, found);
  }
  return found;
}
