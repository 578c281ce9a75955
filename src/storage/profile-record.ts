/**
 * What the store keeps about each profile, as a small JSON object beside it (records/<id>.json): enough to list it
 * in the history, to serve its viewer from any replica, and to find every file that belongs to it. The history's
 * JSON (GET /profiles) is these records, as openapi.yaml's ProfileRecord says.
 */
export interface ProfileRecord {
  /** 32 hex digits: the history's and the record's key. */
  id: string;
  /** pending: an async capture still running; failed: it ended in an error (error says which). */
  status: 'pending' | 'ready' | 'failed';
  error?: string;
  /** The profile type (CPU, Heap, ...), as the request named it. */
  type: string;
  /** The sample types' names (cpu, alloc_space, ...), once decoded. */
  sampleTypes: string[];
  /** When the capture started (pending) or the profile was fetched. */
  fetchedAt: string;
  /** For a pending capture: when it is expected to end. */
  expectedAt?: string;
  /** The source URL without query or credentials, or the group's description. */
  source: string;
  /** Whose profile: the pod (the request's or its target's), container and node as the executor sent them. */
  pod?: { namespace: string; name: string };
  container?: string;
  node?: string;
  diagnosis?: { namespace?: string; name: string };
  /** The workload it belongs to (the key's <service>): the pod's name label, its owner, or the source's host. */
  service: string;
  /** The viewer this profile was first shown in, and until when. */
  viewer: { id: string; expiresAt: string };
  /** The stored objects' keys in the bucket (profile: what a diff_base or a download reads). */
  files: {
    profile?: string;
    goroutineDump?: string;
    diff?: string;
    targets?: Record<string, string>;
    /** A Goroutine diff's base dump. */
    baseGoroutineDump?: string;
  };
  /** Where the profile is, as result.profile_path gave it (a file's path, or s3://bucket/key). */
  profilePath?: string;
  /** The raw profile's size in bytes. */
  bytes?: number;
  /** For a diff: both captures (the viewer shows new - base; files.diff holds it). */
  diff?: { base: CaptureRecord; new: CaptureRecord; normalized: boolean };
}

/** One capture of a diff, as the viewer's provenance shows it. */
export interface CaptureRecord {
  source: string;
  fetchedAt: string;
  time?: string;
  profilePath: string;
  pod?: string;
}

/** A viewer's entry (viewers/<viewer id>.json): which record it shows and until when, so any replica can open it. */
export interface ViewerEntry {
  viewerId: string;
  recordId: string;
  expiresAt: string;
}

/** The history's filters (GET /profiles' query). */
export interface RecordFilter {
  namespace?: string;
  pod?: string;
  diagnosis?: string;
  type?: string;
  /** ISO times: fetchedAt within [since, until). */
  since?: Date;
  until?: Date;
}

export const RECORD_ID = /^[0-9a-f]{32}$/;
