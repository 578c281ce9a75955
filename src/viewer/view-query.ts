import { InputError } from '../errors';
import { ProfileData } from '../profile/profile-data';
import { GRAPH_DEFAULTS, TrimOptions } from '../report/callgraph';
import { DEFAULT_RESOLUTION, MAX_RESOLUTION } from '../report/flamegraph';
import { Granularity, GRANULARITIES } from '../report/granularity';
import { compileRefine, REFINE_OPTION_KEYS, RefineOptions } from '../report/refine';

/** The query every view takes: sample type, granularity and pprof's refinements, as pprof's web UI spells them. */
export interface ViewQuery {
  sampleIndex: number;
  granularity: Granularity;
  refine: RefineOptions;
}

export function parseViewQuery(data: ProfileData, query: URLSearchParams): ViewQuery {
  const refine: RefineOptions = {};
  for (const key of REFINE_OPTION_KEYS) {
    const value = query.get(key);
    if (value) refine[key] = value;
  }
  compileRefine(refine); // a bad regex or label filter is a 400 naming its key, before any work is queued
  return { sampleIndex: sampleIndex(data, query), granularity: granularity(query), refine };
}

export function sampleIndex(data: ProfileData, query: URLSearchParams): number {
  const { sampleTypes, defaultSampleIndex } = data;
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

function granularity(query: URLSearchParams): Granularity {
  const wanted = query.get('granularity');
  if (!wanted) return 'functions';
  if (!(GRANULARITIES as readonly string[]).includes(wanted)) {
    throw new InputError(`unknown granularity ${JSON.stringify(wanted.slice(0, 40))}`, [
      { key: 'granularity', message: `must be one of ${GRANULARITIES.join(', ')}` },
    ]);
  }
  return wanted as Granularity;
}

/** Every key but zoom takes one value: a second one would be ignored without a word, so it is refused. */
export function refuseRepeatedKeys(query: URLSearchParams): void {
  for (const key of new Set(query.keys())) {
    if (key !== 'zoom' && query.getAll(key).length > 1) {
      throw new InputError(`${JSON.stringify(key.slice(0, 40))} is given more than once`, [{ key, message: 'must be given at most once' }]);
    }
  }
}

/** A flag such as inverted: 1 or true, 0 or false, or absent (empty is absent, as for every key); nothing else. */
export function isSet(query: URLSearchParams, key: string): boolean {
  const value = query.get(key) ?? '';
  if (!FLAG_VALUES.includes(value)) {
    throw new InputError(`invalid ${key}`, [{ key, message: 'must be 1, true, 0 or false' }]);
  }
  return value === '1' || value === 'true';
}

const FLAG_VALUES = ['', '0', '1', 'false', 'true'];

/** nodecount, nodefraction, edgefraction: pprof's graph trimming, its defaults when absent. */
export function trimOptions(query: URLSearchParams): TrimOptions {
  const number = (key: string, fallback: number, integer: boolean, max: number) => {
    const text = query.get(key);
    if (text === null || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || value > max || (integer && !Number.isInteger(value))) {
      throw new InputError(`invalid ${key}`, [{ key, message: `must be ${integer ? 'an integer' : 'a number'} from 0 to ${max}` }]);
    }
    return value;
  };
  return {
    nodeCount: number('nodecount', GRAPH_DEFAULTS.nodeCount, true, 10_000),
    nodeFraction: number('nodefraction', GRAPH_DEFAULTS.nodeFraction, false, 1),
    edgeFraction: number('edgefraction', GRAPH_DEFAULTS.edgeFraction, false, 1),
  };
}

/** A stable key for caches: the same request spelt in another order is the same view. */
export function cacheKey(parts: Record<string, unknown>): string {
  return JSON.stringify(Object.entries(parts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The flame graph's zoom (frame names from the root, one `zoom` per frame) and resolution. */
export function flameQuery(query: URLSearchParams): { zoom: string[]; resolution: number } {
  const zoom = query.getAll('zoom');
  if (zoom.length > MAX_ZOOM_DEPTH) {
    throw new InputError('zoom path too deep', [{ key: 'zoom', message: `at most ${MAX_ZOOM_DEPTH} frames` }]);
  }
  const text = query.get('resolution');
  if (text === null || text === '') return { zoom, resolution: DEFAULT_RESOLUTION };
  const resolution = Number(text);
  if (!Number.isInteger(resolution) || resolution < 1 || resolution > MAX_RESOLUTION) {
    throw new InputError('invalid resolution', [{ key: 'resolution', message: `must be an integer from 1 to ${MAX_RESOLUTION}` }]);
  }
  return { zoom, resolution };
}

/** The flame graph search box's pattern: a JavaScript regular expression, matched ignoring case. */
export function searchPattern(query: URLSearchParams): string {
  const pattern = query.get('pattern') ?? '';
  const fail = (message: string): never => {
    throw new InputError(`invalid pattern: ${message}`, [{ key: 'pattern', message }]);
  };
  if (!pattern) fail('is required');
  if (pattern.length > MAX_PATTERN_LENGTH) fail(`is longer than ${MAX_PATTERN_LENGTH} characters`);
  try {
    new RegExp(pattern, 'i');
  } catch (error) {
    fail((error as Error).message.replace(/^Invalid regular expression: /, ''));
  }
  return pattern;
}

const MAX_ZOOM_DEPTH = 4096;
const MAX_PATTERN_LENGTH = 1000;
