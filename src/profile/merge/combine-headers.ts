import { ProfileError } from '../../errors';
import { MergeSource, ProfileHeader, ValueTypeText } from './read-source';

/** The merged profile's header, as pprof's combineHeaders (profile/merge.go) builds it. */
export type MergedHeader = ProfileHeader;

type Header = Pick<MergeSource, keyof ProfileHeader | 'name'>;

/** Two profiles pprof would not merge: other sample types or another period type. */
export class IncompatibleProfilesError extends ProfileError {}

/**
 * pprof's compatible(): the sample types (type and unit, in order) and the period type must be the first
 * profile's, else the merge fails naming the profile that differs and what differs (the sample types when both do).
 */
export function checkCompatible(first: Header, other: Header): void {
  const a = first.sampleTypes;
  const b = other.sampleTypes;
  if (a.length !== b.length || a.some((t, i) => !sameType(t, b[i]))) {
    throw new IncompatibleProfilesError(`merging profiles: ${other.name} has sample types ${describeList(b)}, unlike ${first.name}'s ${describeList(a)}`);
  }
  if (!sameType(first.periodType, other.periodType)) {
    throw new IncompatibleProfilesError(`merging profiles: ${other.name} has period type ${describe(other.periodType)}, unlike ${first.name}'s ${describe(first.periodType)}`);
  }
}

/** Starts the combination with the first profile's header. */
export function firstHeader(source: Header): MergedHeader {
  const header: MergedHeader = {
    sampleTypes: source.sampleTypes,
    periodType: source.periodType,
    dropFrames: source.dropFrames,
    keepFrames: source.keepFrames,
    timeNanos: 0n,
    durationNanos: 0n,
    period: 0n,
    comments: [],
    defaultSampleType: '',
    docUrl: '',
  };
  return addHeader(header, source);
}

/**
 * Adds one more profile, as combineHeaders' loop does: the earliest time (a zero time is replaced by the next
 * profile's, and a later zero replaces it: pprof's own comparison), durations summed, the largest period, comments
 * once each in order, the first non-empty default sample type and doc URL. Drop and keep frames, period and sample
 * types stay the first profile's.
 */
export function addHeader(header: MergedHeader, source: Header): MergedHeader {
  if (header.timeNanos === 0n || source.timeNanos < header.timeNanos) header.timeNanos = source.timeNanos;
  header.durationNanos = BigInt.asIntN(64, header.durationNanos + source.durationNanos);
  if (header.period === 0n || header.period < source.period) header.period = source.period;
  for (const c of source.comments) if (!header.comments.includes(c)) header.comments.push(c);
  if (header.defaultSampleType === '') header.defaultSampleType = source.defaultSampleType;
  if (header.docUrl === '') header.docUrl = source.docUrl;
  return header;
}

function sameType(a: ValueTypeText, b: ValueTypeText): boolean {
  return a.type === b.type && a.unit === b.unit;
}

function describe(t: ValueTypeText): string {
  return `${t.type}/${t.unit}`;
}

function describeList(types: ValueTypeText[]): string {
  return `[${types.map(describe).join(' ')}]`;
}
