import crypto from 'node:crypto';
import { ParsedRequest } from '../parameters/request';
import { RequestContext } from '../parameters/request-context';
import { ProfileRecord } from '../storage/profile-record';
import { ProfileStore } from '../storage/profile-store';
import type { Profiled } from './go-profiler';

/** A viewer's id and expiry, as the registry gave them. */
export interface ViewerStamp {
  id: string;
  expiresAt: Date;
}

/** A new record's id: 128 random bits, in hex (the page imports profile-record.ts, so not there). */
export function newRecordId(): string {
  return crypto.randomBytes(16).toString('hex');
}

/** The record of a profile obtained (or, async, of one being captured: status pending, no files yet). */
export function recordOf(id: string, request: ParsedRequest, viewer: ViewerStamp, profiled?: Profiled, pending?: { expectedAt: Date; service: string }): ProfileRecord {
  const { context } = request;
  return {
    id,
    status: profiled ? 'ready' : 'pending',
    type: request.type,
    sampleTypes: profiled ? profiled.analysis.data.sampleTypes.map((t) => t.type) : [],
    fetchedAt: (profiled?.fetchedAt ?? new Date()).toISOString(),
    expectedAt: pending?.expectedAt.toISOString(),
    source: profiled?.source ?? ('profileUrl' in request ? `${request.profileUrl.origin}${request.profileUrl.pathname}` : 'several targets'),
    pod: context.podNamespace && context.podName ? { namespace: context.podNamespace, name: context.podName } : undefined,
    container: context.container,
    node: context.node,
    diagnosis: context.diagnosisName ? { namespace: context.diagnosisNamespace, name: context.diagnosisName } : undefined,
    service: profiled?.service ?? pending?.service ?? 'unknown',
    viewer: { id: viewer.id, expiresAt: viewer.expiresAt.toISOString() },
    files: profiled ? { ...profiled.saved.files, ...(profiled.diff?.baseGoroutineDumpKey ? { baseGoroutineDump: profiled.diff.baseGoroutineDumpKey } : {}) } : {},
    profilePath: profiled?.profilePath,
    bytes: profiled?.bytes.length,
    diff: profiled?.diff?.info,
  };
}

/** The record and its viewer's entry, saved; the warnings of anything that waits for the store. */
export async function saveRecord(store: ProfileStore, record: ProfileRecord): Promise<string[]> {
  const warnings = [
    await store.putRecord(record),
    await store.putViewer({ viewerId: record.viewer.id, recordId: record.id, expiresAt: record.viewer.expiresAt }),
  ];
  return warnings.filter((w): w is string => w !== undefined);
}

/** The request context a record was made from (a viewer opened from it shows the same provenance). */
export function contextOf(record: ProfileRecord): RequestContext {
  return {
    podNamespace: record.pod?.namespace,
    podName: record.pod?.name,
    container: record.container,
    node: record.node,
    diagnosisNamespace: record.diagnosis?.namespace,
    diagnosisName: record.diagnosis?.name,
  };
}
