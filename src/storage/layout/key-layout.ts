import { ProfileType } from '../../parameters/profile-types';
import { RequestContext } from '../../parameters/request-context';

/**
 * How a backend names what it keeps: the profile's key (KubeDiag's folders on the local disk, the profiling
 * operator's <date>/<service>/<time>-<type> in a bucket), the keys of the files kept beside it, and where the
 * records and viewer entries go. Nothing else in the store depends on which layout it has.
 */
export interface KeyLayout {
  /** The key a new profile is stored under; n > 0 gives the n-th alternative when that key is taken. */
  profileKey(profile: NewProfile, n: number): string;
  /** Whether a key is one that profileKey gives: only those may be read back as a diff's base. */
  isProfileKey(key: string): boolean;
  /** The type a profile key names. */
  typeOf(key: string): ProfileType | undefined;
  /** A file kept beside the profile: its goroutine dump, its diff, a merged profile's n-th input. */
  besideKey(profileKey: string, what: Beside): string;
  recordKey(id: string): string;
  recordPrefix: string;
  viewerKey(viewerId: string): string;
  /** Everything of this service's under the bucket: what the retention sweep walks. */
  sweepPrefix: string;
}

export interface NewProfile {
  type: ProfileType;
  context: RequestContext;
  /** The workload it belongs to (service-name.ts). */
  service: string;
  at: Date;
}

export type Beside = { kind: 'goroutineDump' } | { kind: 'diff' } | { kind: 'target'; index: number; count: number; name: string };

/** A key segment from an untrusted value: no separators, no dot-dot, never empty. */
export function segment(value: string | undefined, fallback = 'unknown'): string {
  const cleaned = (value ?? '').replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 100);
  return cleaned === '' ? fallback : cleaned;
}
