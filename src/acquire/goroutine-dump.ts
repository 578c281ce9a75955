import { ProfileRequest } from '../parameters/parse';

/** How the profile itself was obtained: the dump comes the same way, with the same token, CA and limits. */
export type Acquire = (request: ProfileRequest) => Promise<{ bytes: Buffer }>;

/**
 * For a Goroutine profile, also fetches `goroutine?debug=2`: every goroutine's stack with its state and how long
 * it has waited ("chan receive, 42 minutes"), which the profile leaves out. Best effort: undefined when it
 * cannot be had, never an error, since the profile is what the request asked for.
 */
export async function fetchGoroutineDump(request: ProfileRequest, acquire: Acquire): Promise<string | undefined> {
  if (request.type !== 'Goroutine') return undefined;
  const profileUrl = new URL(request.profileUrl.href);
  profileUrl.searchParams.set('debug', '2');
  try {
    const { bytes } = await acquire({ ...request, profileUrl });
    const text = bytes.toString('utf8');
    return /^goroutine \d+/m.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
