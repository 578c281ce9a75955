import { Aggregate } from '../report/aggregate';
import { CallGraphData, CallGraphRequest } from '../report/callgraph';
import { GoroutineDump, parseGoroutineDump } from '../report/goroutines';
import { Granularity } from '../report/granularity';
import { INLINE_RUNNER, ReportRunner } from '../report/jobs';
import { REFINE_KEYS, RefineOptions } from '../report/refine';
import { cacheKey } from './view-query';
import { ViewerProfile } from './viewer-profile';

/** How many refined aggregates and call graphs a viewer keeps: each may hold a call tree of the whole profile. */
const CACHED_VIEWS = 8;

export interface AggregateRequest {
  granularity: Granularity;
  refine: RefineOptions;
  inverted: boolean;
}

/**
 * One viewer's computed views. The default aggregate came with the decode; refined ones and call graphs are
 * built by the report runner (the worker pool) and the latest few kept, promises and all, so that a page asking
 * for top, flame graph and call graph at once starts each computation only once.
 */
export class ProfileViews {
  private readonly cache = new Map<string, Promise<unknown>>();
  private goroutineDump?: GoroutineDump;

  constructor(private readonly profile: ViewerProfile) {}

  private get runner(): ReportRunner {
    return this.profile.reports ?? INLINE_RUNNER;
  }

  /** The aggregate for a request; `tree` when the view needs the call tree (the decode's model has none). */
  aggregate(request: AggregateRequest, tree = false): Promise<Aggregate> {
    const { data, model } = this.profile.analysis;
    const refined = REFINE_KEYS.some((k) => request.refine[k]);
    const plain = !refined && !request.inverted && request.granularity === 'functions';
    if (plain && (model.complete || !tree)) return Promise.resolve(model);
    return this.cached(cacheKey({ view: 'aggregate', ...request }), () => this.runner.report(data, { kind: 'aggregate', options: request }));
  }

  callGraph(request: CallGraphRequest): Promise<CallGraphData> {
    const { data } = this.profile.analysis;
    return this.cached(cacheKey({ view: 'callgraph', ...request }), () => this.runner.report(data, { kind: 'callgraph', request }));
  }

  /** The goroutine?debug=2 text, grouped; parsed once. */
  goroutines(): GoroutineDump | undefined {
    if (this.profile.goroutineDump === undefined) return undefined;
    this.goroutineDump ??= parseGoroutineDump(this.profile.goroutineDump);
    return this.goroutineDump;
  }

  private cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key) as Promise<T> | undefined;
    if (hit) {
      this.cache.delete(key); // re-insert: Map order is the recency order
      this.cache.set(key, hit);
      return hit;
    }
    const promise = compute();
    this.cache.set(key, promise);
    promise.catch(() => this.cache.get(key) === promise && this.cache.delete(key));
    while (this.cache.size > CACHED_VIEWS) this.cache.delete(this.cache.keys().next().value as string);
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
