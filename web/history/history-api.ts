// The history's JSON API (GET /profiles, POST /profiles/<id>/viewer), called relatively: the page lives at
// /profiles or <PUBLIC_BASE_URL>/profiles, so "profiles?..." resolves to the same place under any path prefix.
import { ApiError } from '../app/api-client';
import type { ApiErrorBody } from '../app/api-types';
import type { ProfileRecord } from '../../src/storage/profile-record';

export type { ProfileRecord } from '../../src/storage/profile-record';

/** GET /profiles' JSON: newest first, and the cursor of the next page when there is one. */
export interface HistoryPage {
  profiles: ProfileRecord[];
  next?: string;
}

/** The processor's result key (src/result/answer.ts), which POST /profiles/<id>/viewer answers with too. */
export const RESULT = 'diagnoser.runtime.go_profiler.result.';

/** GET /profiles answers this page to a browser and JSON to anyone else: ask for JSON, never from a cache. */
export async function listProfiles(query: URLSearchParams): Promise<HistoryPage> {
  const search = query.toString();
  return readJson<HistoryPage>('listing the profiles', await fetch(search ? `profiles?${search}` : 'profiles', { headers: { accept: 'application/json' }, cache: 'no-store' }));
}

/** A fresh expiring viewer on a stored profile; its relative address (viewer/<viewer id>/). */
export async function openViewer(id: string): Promise<string> {
  const response = await fetch(`profiles/${encodeURIComponent(id)}/viewer`, { method: 'POST', headers: { accept: 'application/json' } });
  const answer = await readJson<Record<string, string>>('opening a viewer', response);
  const viewerPath = answer[`${RESULT}viewer_path`];
  if (!viewerPath) throw new Error(`opening a viewer: the answer has no ${RESULT}viewer_path`);
  // "/viewer/<id>/" from the service's root: made relative, it resolves beside /profiles, under any prefix.
  return viewerPath.replace(/^\/+/, '');
}

export const downloadHref = (record: ProfileRecord) => `profiles/${encodeURIComponent(record.id)}/profile`;
export const liveViewerHref = (record: ProfileRecord) => `viewer/${encodeURIComponent(record.viewer.id)}/`;

/** How long the viewer the profile was first shown in still lives (0 or less: gone). */
export function viewerMsLeft(record: ProfileRecord, now = Date.now()): number {
  return Date.parse(record.viewer.expiresAt) - now;
}

async function readJson<T>(stage: string, response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${stage}: the service answered ${response.status} with something other than JSON`);
  }
  if (!response.ok) {
    const failed = body as ApiErrorBody;
    throw new ApiError(response.status, { ...failed, error: `${stage}: ${failed.error ?? `the service answered ${response.status}`}` });
  }
  return body as T;
}
