import path from 'node:path';
import { profileTypeFromName, ProfileType } from '../../parameters/profile-types';
import { Beside, KeyLayout, NewProfile, segment } from './key-layout';

/** Where KubeDiag keeps go-profiler output under its data root. */
const PROFILE_DIR = 'profilers/go/pprof';
/** Ours beside it: records and viewer entries (KubeDiag reads neither). */
const OWN_DIR = 'profilers/go';

/**
 * The local disk, as KubeDiag lays it out (so result.profile_path is the path it has always been):
 * profilers/go/pprof/<pod ns>.<pod>.<container>/<timestamp>/<diag ns>.<diag name>.<Type>.prof, the n-th
 * alternative <Type>-n.prof; files beside it share its stem.
 */
export const kubediagLayout: KeyLayout = {
  profileKey({ type, context, at }: NewProfile, n: number): string {
    const target = [context.podNamespace, context.podName, context.container].map((v) => segment(v)).join('.');
    const stem = `${segment(context.diagnosisNamespace)}.${segment(context.diagnosisName)}.${type}`;
    return `${PROFILE_DIR}/${target}/${kubediagTimestamp(at)}/${n === 0 ? stem : `${stem}-${n}`}.prof`;
  },
  isProfileKey(key: string): boolean {
    return key.startsWith(`${PROFILE_DIR}/`) && key.endsWith('.prof') && !key.includes('.targets/') && key.split('/').length === 6;
  },
  typeOf(key: string): ProfileType | undefined {
    const match = /\.([A-Za-z]+)(?:-\d+)?\.prof$/.exec(path.posix.basename(key));
    return match ? profileTypeFromName(match[1]) : undefined;
  },
  besideKey(profileKey: string, what: Beside): string {
    const stem = profileKey.replace(/\.prof$/, '');
    if (what.kind === 'goroutineDump') return `${stem}.goroutine-debug2.txt`;
    if (what.kind === 'diff') return `${stem}.diff.pb.gz`;
    const width = String(what.count).length;
    return `${stem}.targets/${String(what.index + 1).padStart(width, '0')}-${segment(what.name)}.prof`;
  },
  recordKey: (id: string) => `${OWN_DIR}/records/${id}.json`,
  recordPrefix: `${OWN_DIR}/records/`,
  viewerKey: (viewerId: string) => `${OWN_DIR}/viewers/${viewerId}.json`,
  sweepPrefix: `${OWN_DIR}/`,
};

/** KubeDiag's timestamp format (Go layout 20060102150405), in UTC. */
export function kubediagTimestamp(at: Date): string {
  return at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
