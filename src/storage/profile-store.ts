import { InputError } from '../errors';
import { ProfileType } from '../parameters/profile-types';
import { RequestContext } from '../parameters/request-context';
import { Bucket, isKey, StorageUnavailableError, UploadOptions } from './bucket/bucket';
import { Beside, KeyLayout } from './layout/key-layout';
import { ProfileRecord, RECORD_ID, ViewerEntry } from './profile-record';
import { UploadSpool } from './upload-spool';

export interface ProfileStoreOptions {
  bucket: Bucket;
  layout: KeyLayout;
  /** For a remote store: where objects wait while it is unavailable. Without one, a failed upload is an error. */
  spool?: UploadSpool;
}

/** A profile saved: where it is, and what the answer must say when part of it waits for the store. */
export interface SavedProfile {
  key: string;
  /** result.profile_path: the file's path, or s3://bucket/key. */
  path: string;
  warnings: string[];
  /** The keys of it and of what was kept beside it so far: the record's files. */
  files: ProfileRecord['files'];
}

/** What readStored gives: the bytes, and what the store says about them. */
export interface StoredProfile {
  path: string;
  bytes: Buffer;
  /** When it was written: when it was fetched. */
  savedAt: Date;
  /** The type its key says. */
  type?: ProfileType;
  /** <namespace>/<pod>, from its record or its folder. */
  pod?: string;
  goroutineDump?: string;
  goroutineDumpKey?: string;
}

const CONTENT = { profile: 'application/octet-stream', text: 'text/plain; charset=utf-8', json: 'application/json' };

/**
 * The profiles, the files beside them, their records and viewer entries, in one Bucket (the local folder or an
 * S3-compatible store) under one KeyLayout. Keys are claimed in this process before the upload, so two requests
 * of the same second never take the same one.
 */
export class ProfileStore {
  readonly bucket: Bucket;
  readonly layout: KeyLayout;
  private readonly spool?: UploadSpool;
  private readonly claimed = new Set<string>();

  constructor(options: ProfileStoreOptions) {
    this.bucket = options.bucket;
    this.layout = options.layout;
    this.spool = options.spool;
  }

  /** Stores a profile as fetched under the first free key the layout gives. */
  async save(bytes: Uint8Array, type: ProfileType, context: RequestContext, at = new Date(), service = 'unknown'): Promise<SavedProfile> {
    const key = await this.claim((n) => this.layout.profileKey({ type, context, service, at }, n));
    try {
      const saved: SavedProfile = { key, path: this.bucket.locate(key), warnings: [], files: { profile: key } };
      await this.put(saved, key, bytes, { contentType: CONTENT.profile, metadata: metadataOf(type, context, service) });
      return saved;
    } finally {
      this.claimed.delete(key);
    }
  }

  /** A merged profile's inputs beside it, one per target in order; each target's path by its name. */
  async saveBeside(saved: SavedProfile, files: Array<{ name: string; bytes: Uint8Array }>): Promise<Map<string, string>> {
    const paths = new Map<string, string>();
    for (const [index, file] of files.entries()) {
      const key = this.layout.besideKey(saved.key, { kind: 'target', index, count: files.length, name: file.name });
      await this.put(saved, key, file.bytes, { contentType: CONTENT.profile });
      (saved.files.targets ??= {})[file.name] = key;
      paths.set(file.name, this.bucket.locate(key));
    }
    return paths;
  }

  /** A diff of the capture with its base, beside it (<stem>.diff.pb.gz): what the viewer shows and downloads. */
  async saveDiff(saved: SavedProfile, gzipped: Uint8Array): Promise<string> {
    return this.saveBesideAs(saved, { kind: 'diff' }, gzipped, CONTENT.profile);
  }

  /** A Goroutine profile's goroutine?debug=2 text, beside it, so that a later diff can say what grew. */
  async saveGoroutineDump(saved: SavedProfile, text: string): Promise<string> {
    return this.saveBesideAs(saved, { kind: 'goroutineDump' }, Buffer.from(text), CONTENT.text);
  }

  /** An object's bytes, from the spool while it waits there, else from the store; undefined when it is not kept. */
  async read(key: string): Promise<Buffer | undefined> {
    return (await this.spool?.get(key)) ?? (await this.bucket.get(key));
  }

  /** The key of a path an answer gave (result.profile_path, result.diff_path), when it is one of this store's. */
  keyOf(location: string): string | undefined {
    return this.bucket.keyOf(location);
  }

  /**
   * A profile this store saved, for a diff's base: a path an answer gave (result.profile_path) or a history id.
   * Anything that is not a profile key of this store's layout is an InputError naming `key`, and nothing else is
   * read.
   */
  async readStored(requested: string, maxBytes: number, key: string): Promise<StoredProfile> {
    const refuse: (why: string) => never = (why) => {
      throw new InputError(`${key}: ${why}`, [{ key, message: why }]);
    };
    const record = RECORD_ID.test(requested) ? await this.getRecord(requested) : undefined;
    if (RECORD_ID.test(requested) && !record?.files.profile) refuse(`no stored profile has the id ${requested} (GET /profiles lists them)`);
    // An answer's path, or a key as written under the store (a path relative to DATA_ROOT, locally).
    const objectKey = record?.files.profile ?? this.keyOf(requested) ?? (isKey(requested) ? requested : undefined);
    if (objectKey === undefined || !this.layout.isProfileKey(objectKey)) {
      refuse(`is not a profile stored by this service: give a result.profile_path (a profile under ${this.bucket.description}) or a history id`);
    }
    const info = await this.stat(objectKey);
    if (!info) refuse(`is not kept any more (or never was): ${requested} (DATA_RETENTION_SECONDS)`);
    if (info.size > maxBytes) refuse(`is ${info.size} bytes, over the ${maxBytes} byte limit (MAX_PROFILE_BYTES)`);
    const bytes = (await this.read(objectKey)) ?? refuse(`is not kept any more: ${requested}`);
    const dumpKey = this.layout.besideKey(objectKey, { kind: 'goroutineDump' });
    const dump = await this.read(dumpKey);
    return {
      path: this.bucket.locate(objectKey),
      bytes,
      savedAt: record ? new Date(record.fetchedAt) : info.modified,
      type: this.layout.typeOf(objectKey),
      pod: record?.pod ? `${record.pod.namespace}/${record.pod.name}` : podOfKubediagKey(objectKey),
      goroutineDump: dump?.toString('utf8'),
      goroutineDumpKey: dump ? dumpKey : undefined,
    };
  }

  async putRecord(record: ProfileRecord): Promise<string | undefined> {
    return this.spoolOrUpload(this.layout.recordKey(record.id), Buffer.from(JSON.stringify(record)), { contentType: CONTENT.json });
  }

  async getRecord(id: string): Promise<ProfileRecord | undefined> {
    if (!RECORD_ID.test(id)) return undefined;
    return parseJson<ProfileRecord>(await this.read(this.layout.recordKey(id)));
  }

  async putViewer(entry: ViewerEntry): Promise<string | undefined> {
    return this.spoolOrUpload(this.layout.viewerKey(entry.viewerId), Buffer.from(JSON.stringify(entry)), { contentType: CONTENT.json });
  }

  async getViewer(viewerId: string): Promise<ViewerEntry | undefined> {
    if (!/^[0-9a-f]{32}$/.test(viewerId)) return undefined;
    return parseJson<ViewerEntry>(await this.read(this.layout.viewerKey(viewerId)));
  }

  /** The records' keys and when each last changed: the store's, and those still waiting in the spool. */
  async *recordKeys(): AsyncIterable<{ key: string; version: string }> {
    const waiting = new Set(this.spool?.waiting(this.layout.recordPrefix) ?? []);
    for (const key of waiting) yield { key, version: 'spooled' };
    for await (const info of this.bucket.iter(this.layout.recordPrefix)) {
      if (!waiting.has(info.key) && info.key.endsWith('.json')) yield { key: info.key, version: `${info.modified.getTime()}:${info.size}` };
    }
  }

  async readRecordAt(key: string): Promise<ProfileRecord | undefined> {
    return parseJson<ProfileRecord>(await this.read(key));
  }

  /**
   * Removes every object of this service's older than the retention period (profiles, the files beside them,
   * records, viewer entries), by when it was written. Returns how many went. A bucket lifecycle rule can do the
   * same in the store (README).
   */
  async sweep(retentionSeconds: number, now = Date.now()): Promise<number> {
    let removed = 0;
    const old: string[] = [];
    for await (const info of this.bucket.iter(this.layout.sweepPrefix)) {
      if (now - info.modified.getTime() > retentionSeconds * 1000) old.push(info.key);
    }
    for (const key of old) {
      await this.bucket.delete(key);
      removed++;
    }
    return removed;
  }

  private async saveBesideAs(saved: SavedProfile, what: Beside, bytes: Uint8Array, contentType: string): Promise<string> {
    const key = this.layout.besideKey(saved.key, what);
    await this.put(saved, key, bytes, { contentType });
    if (what.kind !== 'target') saved.files[what.kind] = key;
    return this.bucket.locate(key);
  }

  /** Uploads one object of a saved profile, noting on it why it waits when the store could not take it. */
  private async put(saved: SavedProfile, key: string, bytes: Uint8Array, options: UploadOptions): Promise<void> {
    const warning = await this.spoolOrUpload(key, bytes, options);
    if (warning && !saved.warnings.includes(warning)) saved.warnings.push(warning);
  }

  private async spoolOrUpload(key: string, bytes: Uint8Array, options: UploadOptions): Promise<string | undefined> {
    if (this.spool) return this.spool.upload(key, bytes, options);
    await this.bucket.upload(key, bytes, options);
    return undefined;
  }

  /** The first key not in the store, not waiting in the spool and not being saved by this process. */
  private async claim(keyAt: (n: number) => string): Promise<string> {
    for (let n = 0; ; n++) {
      const key = keyAt(n);
      if (this.claimed.has(key)) continue;
      this.claimed.add(key);
      if (this.spool?.has(key) || (await this.existsIfKnown(key))) {
        this.claimed.delete(key);
        continue;
      }
      return key;
    }
  }

  /** A store that cannot say (down, refusing) is taken as not having it: the spool keeps the object meanwhile. */
  private async existsIfKnown(key: string): Promise<boolean> {
    try {
      return await this.bucket.exists(key);
    } catch (error) {
      if (!this.spool || !(error instanceof StorageUnavailableError)) throw error;
      this.spool.noteUnavailable(error);
      return false;
    }
  }

  private async stat(key: string): Promise<{ size: number; modified: Date } | undefined> {
    const spooled = await this.spool?.get(key);
    if (spooled) return { size: spooled.length, modified: new Date() };
    for await (const info of this.bucket.iter(key)) if (info.key === key) return info;
    return undefined;
  }
}

/** The S3 object's metadata (x-amz-meta-*): who it belongs to, readable in the bucket without the record. */
function metadataOf(type: ProfileType, context: RequestContext, service: string): Record<string, string> {
  const entries: Array<[string, string | undefined]> = [
    ['type', type],
    ['service', service],
    ['pod', context.podNamespace && context.podName ? `${context.podNamespace}/${context.podName}` : undefined],
    ['container', context.container],
    ['node', context.node],
    ['diagnosis', context.diagnosisName ? [context.diagnosisNamespace, context.diagnosisName].filter(Boolean).join('/') : undefined],
  ];
  // Header values: printable ASCII only.
  return Object.fromEntries(entries.filter(([, v]) => v).map(([k, v]) => [k, (v as string).replace(/[^\x20-\x7e]/g, '?').slice(0, 256)]));
}

/** <namespace>/<pod> from a KubeDiag folder (profilers/go/pprof/<ns>.<pod>.<container>/...), when it names one. */
function podOfKubediagKey(key: string): string | undefined {
  const target = key.split('/')[3];
  const [namespace, pod] = (target ?? '').split('.');
  return namespace && pod && namespace !== 'unknown' && pod !== 'unknown' ? `${namespace}/${pod}` : undefined;
}

function parseJson<T>(bytes: Buffer | undefined): T | undefined {
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
