/**
 * Builds SeaweedFS (the S3-compatible store the bucket tests use) from its Go module, once per version: cached
 * outside the repository beside the cluster's binaries (cluster/build.ts's cacheRoot()), in a temporary folder
 * renamed into place with a `.complete` marker, so two runs that race both end with a whole binary. `npm test`'s
 * pretest runs this file, so the first run's few minutes of building are spent before jest starts.
 *
 * `go install module@version` refuses SeaweedFS (its go.mod has replace directives), so the module's source is
 * fetched with `go mod download` and built in place, with the go.sum it ships.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { cachedFolder } from '../../cluster/build';

const run = promisify(execFile);

export const SEAWEEDFS_MODULE = 'github.com/seaweedfs/seaweedfs';
/** SeaweedFS 4.53 (its tags are not semantic versions, so the proxy knows it by this pseudo-version). */
export const SEAWEEDFS_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';
const COMMIT = SEAWEEDFS_VERSION.split('-').pop() as string;
const LDFLAGS = `-s -w -X ${SEAWEEDFS_MODULE}/weed/util/version.COMMIT=${COMMIT}`;

/** The `weed` binary's path, built first unless the cache has it. */
export async function buildS3Server(log: (line: string) => void = () => {}): Promise<string> {
  const key = createHash('sha256').update(`${SEAWEEDFS_VERSION} ${LDFLAGS} ${process.platform}-${process.arch}`).digest('hex').slice(0, 12);
  const dir = await cachedFolder(`seaweedfs-${SEAWEEDFS_VERSION}-${key}`, `SeaweedFS ${SEAWEEDFS_VERSION}`, log, async (tmp) => {
    const source = await moduleSource(tmp);
    await run('go', ['build', '-trimpath', '-ldflags', LDFLAGS, '-o', path.join(tmp, 'weed'), './weed'], { cwd: source, env: goEnv(), maxBuffer: 64 * 1024 * 1024 });
  });
  return path.join(dir, 'weed');
}

/** The module's source folder in the Go module cache, downloaded from the proxy if it is not there yet. */
async function moduleSource(outsideAnyModule: string): Promise<string> {
  const { stdout } = await run('go', ['mod', 'download', '-json', `${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION}`], {
    cwd: outsideAnyModule,
    env: goEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  const { Dir, Error: failure } = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!Dir) throw new Error(`go mod download ${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION}: ${failure ?? 'no source folder'}`);
  return Dir;
}

function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly -buildvcs=false', GOWORK: 'off' };
}

if (require.main === module) {
  const log = (line: string) => process.stderr.write(`s3-server: ${line}\n`);
  buildS3Server(log)
    .then((binary) => log(`SeaweedFS ready: ${binary}`))
    .catch((error: Error) => {
      log(error.message);
      process.exit(1);
    });
}
