/**
 * `npm run cluster`: a real Kubernetes control plane and two nodes on this machine until Ctrl-C (or SIGTERM), then
 * every process it started is stopped and its files removed. Progress goes to stderr; stdout gets one line,
 * `KUBECONFIG=<admin kubeconfig>`, once the cluster is ready (cluster.json lies beside it).
 * `--build-only` builds (or finds in the cache) the binaries and exits: what `npm test` does before its suites.
 * `--exit-with-parent` stops the cluster when the process that started it is gone (the test runner, killed).
 */
import { buildClusterBinaries } from './build';
import { startCluster, type Cluster } from './cluster';

const log = (line: string) => process.stderr.write(`cluster: ${line}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  if (process.argv.includes('--build-only')) {
    const binaries = await buildClusterBinaries(log);
    log(`Kubernetes ${binaries.kubernetesVersion} binaries ready in ${((Date.now() - started) / 1000).toFixed(1)} s, in ${binaries.kubectl.replace(/\/kubectl$/, '')}`);
    return;
  }
  const starting: Promise<Cluster> = startCluster({ collectorImage: process.env.COLLECTOR_IMAGE || undefined, log });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    // A signal during start-up waits for it: the components run in process groups of their own and would outlive us.
    const cluster = await starting.catch(() => undefined);
    await cluster?.stop();
    log('stopped; its files are removed');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (process.argv.includes('--exit-with-parent')) {
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && void stop('parent gone'), 1000).unref();
  }

  const cluster = await starting;
  if (stopping) return;
  const { info } = cluster;
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: Kubernetes ${info.kubernetesVersion}, nodes ${info.nodes.map((n) => `${n.name} (${n.ip})`).join(', ')}`);
  log(`collector image: ${info.collectorImage}; kubectl: ${info.kubectl}`);
  process.stdout.write(`KUBECONFIG=${info.kubeconfig}\n`);
}

main().catch((error: Error) => {
  log(`failed: ${error.message}`);
  process.exit(1);
});
