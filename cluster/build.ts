/**
 * Builds the control plane's binaries from their Go modules (cluster/build/*), once per version: the result is
 * cached outside the repository under a key made of the module files and the build flags, so a second start
 * takes seconds and a changed pin builds anew. Builds go to a temporary folder renamed into place, so two runs
 * that race both end with a whole set.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BUILD_DIR = path.join(__dirname, 'build');

export interface ClusterBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  /** "v1.36.3", from the pinned module. */
  kubernetesVersion: string;
}

interface GoBuild {
  name: string;
  module: string;
  packages: string[];
  ldflags: string;
}

/** Where built binaries are kept: CLUSTER_CACHE, else the user's cache folder. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLUSTER_CACHE) return env.CLUSTER_CACHE;
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'go-profiler-cluster');
}

export function pinnedVersion(module: string, modulePath: string): string {
  const goMod = fs.readFileSync(path.join(BUILD_DIR, module, 'go.mod'), 'utf8');
  const found = new RegExp(`^require ${modulePath.replace(/[.]/g, '\\.')} (v\\S+)`, 'm').exec(goMod);
  if (!found) throw new Error(`cluster/build/${module}/go.mod does not require ${modulePath}`);
  return found[1];
}

export async function buildClusterBinaries(log: (line: string) => void = () => {}): Promise<ClusterBinaries> {
  const kubernetesVersion = pinnedVersion('kubernetes', 'k8s.io/kubernetes');
  const etcdVersion = pinnedVersion('etcd', 'go.etcd.io/etcd/server/v3');
  const kube = await cachedBuild(
    {
      name: `kubernetes-${kubernetesVersion}`,
      module: 'kubernetes',
      packages: ['kube-apiserver', 'kube-controller-manager', 'kubectl'].map((cmd) => `k8s.io/kubernetes/cmd/${cmd}`),
      ldflags: await kubernetesLdflags(kubernetesVersion),
    },
    log,
  );
  const etcd = await cachedBuild({ name: `etcd-${etcdVersion}`, module: 'etcd', packages: ['.'], ldflags: '-s -w' }, log);
  return {
    etcd: path.join(etcd, 'etcd'),
    kubeApiserver: path.join(kube, 'kube-apiserver'),
    kubeControllerManager: path.join(kube, 'kube-controller-manager'),
    kubectl: path.join(kube, 'kubectl'),
    kubernetesVersion,
  };
}

/** The folder holding the build's binaries, built first if no cached build matches. */
async function cachedBuild(build: GoBuild, log: (line: string) => void): Promise<string> {
  return cachedFolder(`${build.name}-${buildKey(build)}`, build.name, log, (tmp) =>
    run('go', ['build', '-trimpath', '-ldflags', build.ldflags, '-o', `${tmp}/`, ...build.packages], {
      cwd: path.join(BUILD_DIR, build.module),
      env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly -buildvcs=false' },
      maxBuffer: 64 * 1024 * 1024,
    }),
  );
}

/**
 * A folder under cacheRoot() that make() fills once: made in a temporary folder renamed into place with a
 * `.complete` marker, so two runs that race both end with a whole one. Also what the tests' S3 server is built with.
 */
export async function cachedFolder(name: string, what: string, log: (line: string) => void, make: (tmp: string) => Promise<unknown>): Promise<string> {
  const dir = path.join(cacheRoot(), name);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  const started = Date.now();
  log(`building ${what} into ${dir}; the first build takes minutes`);
  try {
    await make(tmp);
    fs.writeFileSync(path.join(tmp, '.complete'), `${new Date().toISOString()}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`building ${what} failed: ${stderr.split('\n').slice(-20).join('\n') || (error as Error).message}`);
  }
  log(`built ${what} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return dir;
}

function buildKey(build: GoBuild): string {
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(path.join(BUILD_DIR, build.module)).sort()) {
    hash.update(file).update(fs.readFileSync(path.join(BUILD_DIR, build.module, file)));
  }
  return hash.update(build.packages.join(' ')).update(build.ldflags).digest('hex').slice(0, 12);
}

/**
 * The version stamps Kubernetes' own build sets (hack/lib/version.sh), so `kubectl version` and /version show the
 * release. The commit is not known from the module proxy and is left empty rather than made up; the build date is
 * the release's, from the proxy's record of the module.
 */
async function kubernetesLdflags(version: string): Promise<string> {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const { stdout } = await run('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], {
    cwd: path.join(BUILD_DIR, 'kubernetes'),
    env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' },
  });
  const info = JSON.parse(fs.readFileSync(JSON.parse(stdout).Info, 'utf8')) as { Time: string };
  const released = new Date(info.Time).toISOString().replace(/\.\d+Z$/, 'Z');
  const stamps = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitCommit=`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.buildDate=${released}`,
  ]);
  return ['-s', '-w', ...stamps].join(' ');
}
