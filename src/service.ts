import http from 'node:http';
import { AddressInfo } from 'node:net';
import { AddressPolicy } from './acquire/address-policy';
import { FetchGate, SourceLocks } from './acquire/fetch-gate';
import { JobCollector, jobCollectorOptions } from './acquire/job/job-collector';
import { KubeProvider, kubeProviderFromEnvironment } from './acquire/kube/clients';
import { Config } from './config';
import { AppState, createApp } from './http/app';
import { answerClientErrors } from './client-errors';
import { Metrics } from './http/metrics';
import { createLogger, Logger } from './log';
import { ProfileStore } from './storage/profile-store';
import { openStorage, Storage } from './storage/open-storage';
import { ViewerRegistry } from './viewer/registry';
import { AsyncCaptures } from './processor/async-capture';
import { ProcessorDeps } from './processor/go-profiler';
import { storedViewerLoader } from './processor/viewer-loader';
import { AnalyzePool } from './workers/analyze-pool';

export interface ServiceOptions {
  kube?: KubeProvider;
  log?: Logger;
}

const SWEEP_INTERVAL_MS = 3600 * 1000;
const WORKER_HEAP_MB = 4096;

/** The whole service, wired: main.ts runs it, tests start it in-process on port 0. */
export class Service {
  readonly log: Logger;
  readonly viewers: ViewerRegistry;
  readonly state: AppState = { shuttingDown: false, inFlight: 0 };
  readonly server: http.Server;
  private readonly pool: AnalyzePool;
  readonly store: ProfileStore;
  private readonly storage: Storage;
  private readonly jobs: JobCollector;
  private sweeper?: NodeJS.Timeout;
  private readonly asyncCaptures: AsyncCaptures;

  constructor(readonly config: Config, options: ServiceOptions = {}) {
    this.log = options.log ?? createLogger(config.logLevel);
    const kube = options.kube ?? kubeProviderFromEnvironment({ log: this.log });
    this.pool = new AnalyzePool({ size: config.decodeWorkers, maxHeapMb: WORKER_HEAP_MB, warmUp: true });
    this.pool.prestart();
    this.storage = openStorage(config, this.log);
    this.store = this.storage.store;
    // A viewer this process does not hold (another replica's, one from before a restart, one evicted) is opened from storage.
    const loader = storedViewerLoader({ store: this.store, pool: this.pool, maxProfileBytes: config.maxProfileBytes });
    this.viewers = new ViewerRegistry({ maxViewers: config.maxViewers, bindAddress: config.viewerBindAddress, log: this.log, loader });
    const spool = this.storage.spool;
    const metrics = new Metrics(() => this.viewers.size, spool && { pending: () => spool.pending, failures: () => spool.failures, uploaded: () => spool.uploaded });
    this.jobs = new JobCollector(jobCollectorOptions(config, kube, this.log));
    const deps: ProcessorDeps = {
      config,
      kube,
      pool: this.pool,
      store: this.store,
      viewers: this.viewers,
      metrics,
      log: this.log,
      policy: new AddressPolicy(config.fetchAllow, config.fetchDeny),
      fetchGate: new FetchGate(config.maxConcurrentFetches, config.maxQueuedFetches),
      cpuLocks: new SourceLocks(),
      jobs: this.jobs,
    };
    this.asyncCaptures = deps.asyncCaptures = new AsyncCaptures(deps);
    const app = createApp(deps, this.state);
    this.server = http.createServer(app);
    answerClientErrors(this.server);
    if (!kube.configured) this.log.info('no Kubernetes cluster configured: http sources work, Secret references will fail');
  }

  async start(port = this.config.port): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, () => resolve());
    });
    const bound = (this.server.address() as AddressInfo).port;
    await this.storage.spool?.resume();
    this.checkStorage();
    this.sweep();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    this.log.info({ port: bound, advertise: this.config.advertiseAddress, storage: this.store.bucket.description }, 'go-profiler listening');
    return bound;
  }

  /** The bench's memory measurement: the worker threads' garbage collected too (needs --expose-gc). */
  collectGarbage(): Promise<void> {
    return this.pool.collectGarbage();
  }

  /** Stop accepting, let in-flight requests finish (up to the grace period), close the viewers. */
  async stop(): Promise<void> {
    this.state.shuttingDown = true;
    clearInterval(this.sweeper);
    // Collector Jobs end now, not after the grace period: a Job that outlives the service is a pod left on a node.
    const jobsDeleted = this.jobs.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const deadline = Date.now() + this.config.shutdownGraceSeconds * 1000;
    while (this.state.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.asyncCaptures.stop(deadline);
    this.server.closeAllConnections();
    await Promise.all([closed, jobsDeleted, this.viewers.closeAll(), this.pool.close()]);
    this.storage.spool?.close();
    this.log.info('go-profiler stopped');
  }

  /** Says at start whether the store answers; a store that does not is no reason not to start (the spool waits). */
  private checkStorage(): void {
    this.storage
      .check?.()
      .then(() => this.log.info({ storage: this.store.bucket.description }, 'profile store answers'))
      .catch((error: Error) => this.log.warn({ storage: this.store.bucket.description, error: error.message }, 'profile store unavailable: profiles are kept here until it is back'));
  }

  private sweep(): void {
    this.store
      .sweep(this.config.dataRetentionSeconds)
      .then((removed) => removed > 0 && this.log.info({ removed }, 'old profiles removed'))
      .catch((error: Error) => this.log.warn({ error: error.message }, 'sweeping old profiles failed'));
  }
}
