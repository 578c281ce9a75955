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
import { ViewerRegistry } from './viewer/registry';
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
  private readonly store: ProfileStore;
  private readonly jobs: JobCollector;
  private sweeper?: NodeJS.Timeout;

  constructor(readonly config: Config, options: ServiceOptions = {}) {
    this.log = options.log ?? createLogger(config.logLevel);
    const kube = options.kube ?? kubeProviderFromEnvironment({ log: this.log });
    this.viewers = new ViewerRegistry({ maxViewers: config.maxViewers, bindAddress: config.viewerBindAddress, log: this.log });
    this.pool = new AnalyzePool({ size: config.decodeWorkers, maxHeapMb: WORKER_HEAP_MB });
    this.store = new ProfileStore(config.dataRoot);
    const metrics = new Metrics(() => this.viewers.size);
    this.jobs = new JobCollector(jobCollectorOptions(config, kube, this.log));
    const app = createApp({
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
      }, this.state);
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
    this.sweep();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    this.log.info({ port: bound, advertise: this.config.advertiseAddress }, 'go-profiler listening');
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
    this.server.closeAllConnections();
    await Promise.all([closed, jobsDeleted, this.viewers.closeAll(), this.pool.close()]);
    this.log.info('go-profiler stopped');
  }

  private sweep(): void {
    this.store
      .sweep(this.config.dataRetentionSeconds)
      .then((removed) => removed > 0 && this.log.info({ removed }, 'old profiles removed'))
      .catch((error: Error) => this.log.warn({ error: error.message }, 'sweeping old profiles failed'));
  }
}
