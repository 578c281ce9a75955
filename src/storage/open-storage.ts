import path from 'node:path';
import { Config } from '../config';
import { Logger } from '../log';
import { LocalBucket } from './bucket/local-bucket';
import { S3Bucket } from './bucket/s3-bucket';
import { kubediagLayout } from './layout/kubediag-layout';
import { operatorLayout } from './layout/operator-layout';
import { ProfileStore } from './profile-store';
import { UploadSpool } from './upload-spool';

export interface Storage {
  store: ProfileStore;
  /** With a remote store: what waits for it. */
  spool?: UploadSpool;
  /** With a remote store: HeadBucket, to say at start whether it answers. */
  check?: () => Promise<void>;
}

/** Where the spool keeps objects under DATA_ROOT while the remote store is unavailable. */
export const SPOOL_DIR = 'go-profiler-spool';

/** DATA_ROOT in KubeDiag's layout: the default, and the kubectl plugin's temporary store. */
export function localStore(dataRoot: string): ProfileStore {
  return new ProfileStore({ bucket: new LocalBucket(dataRoot), layout: kubediagLayout });
}

/**
 * The configured store: DATA_ROOT in KubeDiag's layout, or a bucket in the profiling operator's layout with a
 * spool under DATA_ROOT for the objects it cannot take yet.
 */
export function openStorage(config: Config, log: Logger): Storage {
  const { storage } = config;
  if (storage.kind === 'local') return { store: localStore(config.dataRoot) };
  const bucket = new S3Bucket({
    bucket: storage.bucket,
    prefix: storage.prefix,
    endpoint: storage.endpoint,
    region: storage.region,
    forcePathStyle: storage.forcePathStyle,
    requestTimeoutMs: storage.requestTimeoutSeconds * 1000,
  });
  const spool = new UploadSpool(bucket, {
    local: new LocalBucket(path.join(config.dataRoot, SPOOL_DIR)),
    log,
    maxAttempts: storage.retryLimit,
    firstDelayMs: 2000,
    maxDelayMs: 5 * 60 * 1000,
  });
  return { store: new ProfileStore({ bucket, layout: operatorLayout, spool }), spool, check: () => bucket.check() };
}
