// The viewer's API as the offline file answers it: from the answers it holds, and the flame graph's zooms and
// searches cut from its root cuts; anything else is "not in this file". Pure (tested from Node too).
import type { FlameGraphData } from '../../src/report/flamegraph';
import type { TopTable } from '../../src/report/top';
import type { ProfileInfo } from '../../src/viewer/profile-info';
import { NOT_IN_FILE, OfflineData, OfflineDownload } from '../../src/viewer/offline/offline-data';
import { answerKey } from '../../src/viewer/offline/offline-keys';
import { searchCut, zoomedCut } from './offline-flame';

export interface OfflineAnswer {
  status: number;
  body: string;
}

export class OfflineApi {
  constructor(private readonly data: OfflineData) {}

  /** The answer to `route` (a path such as "api/top") and its query, as the server would give it. */
  answer(route: string, query: URLSearchParams): OfflineAnswer {
    const refined = refinement(query);
    if (refined) return notInFile(`it holds every sample type's views unrefined, not with ${refined}`);
    if (route === 'api/flamegraph') return this.found(this.flame(this.key(route, query), query), 'its flame graph lacks the narrow frames this zoom shows');
    if (route === 'api/flamegraph/search') return this.found(this.search(query), 'its flame graph lacks some of the stacks this search matches');
    const key = this.key(route, query);
    const held = Object.hasOwn(this.data.answers, key) ? this.data.answers[key] : undefined;
    return this.found(held, route === 'api/peek' ? 'it holds the callers and callees of the heaviest functions only' : `it does not hold ${route}`);
  }

  /** A download the page links (the original profile, the SVG flame graph, the top table as JSON). */
  download(route: string, query: URLSearchParams): OfflineDownload | undefined {
    const key = this.key(route, query);
    return Object.hasOwn(this.data.downloads, key) ? this.data.downloads[key] : undefined;
  }

  private key(route: string, query: URLSearchParams): string {
    return answerKey(route, query, this.data.defaultSampleType);
  }

  private flame(key: string, query: URLSearchParams): FlameGraphData | undefined {
    const root = this.data.answers[key] as FlameGraphData | undefined;
    const resolution = Number(query.get('resolution') || 2048);
    if (!root || !Number.isFinite(resolution)) return undefined;
    const zoom = query.getAll('zoom');
    if (zoom.length === 0 && resolution <= this.data.flameResolution) return root;
    return zoomedCut(root, zoom, resolution);
  }

  private search(query: URLSearchParams): unknown {
    const flameQuery = new URLSearchParams(query);
    flameQuery.delete('pattern');
    const root = this.data.answers[this.key('api/flamegraph', flameQuery)] as FlameGraphData | undefined;
    const pattern = regex(query.get('pattern') ?? '');
    const top = this.data.answers[this.key('api/top', withoutFlameKeys(flameQuery))] as TopTable | undefined;
    const found = root && pattern && top && searchCut(root, pattern, new Map(top.rows.map((r) => [r.name, r.cum])));
    if (!found || !root) return undefined;
    const info = this.data.answers['api/profile'] as ProfileInfo;
    const total = info.sampleTypes.find((t) => t.type === root.sampleType)?.total ?? root.total;
    return { ...found, total };
  }

  private found(value: unknown, why: string): OfflineAnswer {
    return value === undefined ? notInFile(why) : { status: 200, body: JSON.stringify(value) };
  }
}

/** The ApiError the page shows: what the file lacks, and how to get it. */
function notInFile(why: string): OfflineAnswer {
  return { status: 404, body: JSON.stringify({ error: NOT_IN_FILE, details: [{ message: why }] }) };
}

/** The refinement options a query sets (anything but the sample type, the view's own keys and flags), as text. */
function refinement(query: URLSearchParams): string {
  const own = new Set(['sample', 'inverted', 'zoom', 'resolution', 'pattern', 'function']);
  return [...query]
    .filter(([key, value]) => value !== '' && !own.has(key) && !(key === 'granularity' && value === 'functions'))
    .map(([key, value]) => `${key}=${value.length > 60 ? `${value.slice(0, 60)}…` : value}`)
    .join(' ');
}

/** The top table's query for a flame graph's: the same refinement, without the flame graph's own keys. */
function withoutFlameKeys(query: URLSearchParams): URLSearchParams {
  const refine = new URLSearchParams(query);
  refine.delete('inverted');
  return refine;
}

function regex(source: string): RegExp | undefined {
  try {
    return source ? new RegExp(source, 'i') : undefined;
  } catch {
    return undefined;
  }
}
