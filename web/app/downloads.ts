import type { ProfileInfo } from './api-types';
import { byId } from './dom';
import { refineQuery, UrlState, ViewState } from './url-state';

/** The original bytes, and the current view's flame graph (SVG) and top table (JSON) as refined. */
export function bindDownloads(state: UrlState, info: ProfileInfo): void {
  const original = byId<HTMLAnchorElement>('download-profile');
  original.href = 'download';
  original.download = info.downloadName;
  const update = (s: ViewState) => {
    const refine = refineQuery(s);
    const flame = new URLSearchParams(refine);
    if (s.inverted) flame.set('inverted', '1');
    byId<HTMLAnchorElement>('download-svg').href = withQuery('download/flamegraph.svg', flame);
    byId<HTMLAnchorElement>('download-top').href = withQuery('download/top.json', refine);
  };
  state.subscribe(update);
  update(state.current);
}

function withQuery(path: string, query: URLSearchParams): string {
  const search = query.toString();
  return search ? `${path}?${search}` : path;
}
