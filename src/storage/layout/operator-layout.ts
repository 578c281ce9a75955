import { PPROF_ENDPOINT, PROFILE_TYPES, ProfileType } from '../../parameters/profile-types';
import { Beside, KeyLayout, NewProfile, segment } from './key-layout';

const PROFILE_KEY = /^\d{4}-\d{2}-\d{2}\/[A-Za-z0-9_-]+\/\d{8}-\d{6}-([a-z]+)(?:-\d+)?\.pb\.gz$/;

/**
 * A bucket, as the profiling operator lays it out (seeds/002): <YYYY-MM-DD>/<service>/<YYYYMMDD-HHMMSS>-<type>.pb.gz
 * under the bucket's prefix, <type> as /debug/pprof/ names it (profile, heap, goroutine, ...). Files beside it
 * share its stem; records and viewer entries have folders of their own.
 */
export const operatorLayout: KeyLayout = {
  profileKey({ type, service, at }: NewProfile, n: number): string {
    const iso = at.toISOString();
    const time = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
    const stem = `${time}-${PPROF_ENDPOINT[type]}`;
    return `${iso.slice(0, 10)}/${segment(service)}/${n === 0 ? stem : `${stem}-${n}`}.pb.gz`;
  },
  isProfileKey: (key: string) => PROFILE_KEY.test(key),
  typeOf(key: string): ProfileType | undefined {
    const endpoint = PROFILE_KEY.exec(key)?.[1];
    return PROFILE_TYPES.find((t) => PPROF_ENDPOINT[t] === endpoint);
  },
  besideKey(profileKey: string, what: Beside): string {
    const stem = profileKey.replace(/\.pb\.gz$/, '');
    if (what.kind === 'goroutineDump') return `${stem}.goroutine-debug2.txt`;
    if (what.kind === 'diff') return `${stem}.diff.pb.gz`;
    const width = String(what.count).length;
    return `${stem}.targets/${String(what.index + 1).padStart(width, '0')}-${segment(what.name)}.pb.gz`;
  },
  recordKey: (id: string) => `records/${id}.json`,
  recordPrefix: 'records/',
  viewerKey: (viewerId: string) => `viewers/${viewerId}.json`,
  sweepPrefix: '',
};

