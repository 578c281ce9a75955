import { RESULT } from '../result/answer';

/**
 * --via: the same request body POSTed to a running go-profiler's processor API, as KubeDiag's executor posts it.
 * Returns its answer, or throws with the service's own reason.
 */
export async function viaService(base: string, body: Record<string, string>, signal: AbortSignal): Promise<Record<string, string>> {
  let url: URL;
  try {
    url = new URL(`${base.replace(/\/+$/, '')}/processor/goProfiler`);
  } catch {
    throw new Error(`--via ${JSON.stringify(base)} is not a URL`);
  }
  const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal }).catch((error: Error) => {
    throw new Error(`asking ${url.origin}: ${(error.cause as Error | undefined)?.message ?? error.message}`);
  });
  const text = await answer.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${url.origin} answered ${answer.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (answer.status !== 200) throw new Error(`${url.origin} answered ${answer.status}: ${String(json.error ?? text.slice(0, 200))}`);
  return json as Record<string, string>;
}

export const VIEWER_URL = `${RESULT}viewer_url`;
export const ENDPOINT = `${RESULT}endpoint`;
