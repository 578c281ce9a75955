import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AddressPolicy } from '../acquire/address-policy';
import { FetchGate, SourceLocks } from '../acquire/fetch-gate';
import { CollectorProgress, JobCollector, jobCollectorOptions } from '../acquire/job/job-collector';
import { KubeProvider } from '../acquire/kube/clients';
import { loadConfig } from '../config';
import { Metrics } from '../http/metrics';
import { createLogger } from '../log';
import { obtain, ProcessorDeps, Profiled, viewerProfileOf } from '../processor/go-profiler';
import { ParsedRequest, parseProfilerRequest } from '../parameters/request';
import { localStore } from '../storage/open-storage';
import { ViewerProfile } from '../viewer/viewer-profile';
import { ViewerRegistry } from '../viewer/registry';
import { AnalyzePool } from '../workers/analyze-pool';

export interface LocalProfilerOptions {
  kube: KubeProvider;
  /** Where collector Jobs run: the target's namespace (the user's own rights, its Secrets). */
  namespace: string;
  image: string;
  jobNamePrefix: string;
  keepJobs: boolean;
  timeoutSeconds: number;
  progress: (event: CollectorProgress) => void;
}

/**
 * The service's processor, wired for one command on a laptop: the same parser, collectors, worker pool and
 * analysis, with a store in a temporary folder (removed by close()) and the service's address policy.
 */
export class LocalProfiler {
  private readonly dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-go-profiler-'));
  private readonly pool = new AnalyzePool({ size: 1, maxHeapMb: 4096 });
  private readonly jobs: JobCollector;
  private readonly deps: ProcessorDeps;

  constructor(options: LocalProfilerOptions) {
    const config = loadConfig({
      DATA_ROOT: this.dataRoot,
      ADVERTISE_ADDRESS: '127.0.0.1',
      VIEWER_BIND_ADDRESS: '127.0.0.1',
      COLLECTOR_IMAGE: options.image,
      JOB_NAMESPACE: options.namespace,
      SECRET_NAMESPACES: options.namespace,
      FETCH_TIMEOUT_SECONDS: String(options.timeoutSeconds),
      MAX_VIEWERS: '1',
    });
    const log = createLogger('silent');
    this.jobs = new JobCollector({
      ...jobCollectorOptions(config, options.kube, log),
      jobNamePrefix: options.jobNamePrefix,
      keepJobs: options.keepJobs,
      progress: options.progress,
    });
    this.deps = {
      config,
      kube: options.kube,
      pool: this.pool,
      store: localStore(this.dataRoot),
      viewers: new ViewerRegistry({ maxViewers: 1, bindAddress: '127.0.0.1', log }),
      metrics: new Metrics(() => 0),
      log,
      policy: new AddressPolicy(config.fetchAllow, config.fetchDeny),
      fetchGate: new FetchGate(config.maxConcurrentFetches, config.maxQueuedFetches),
      cpuLocks: new SourceLocks(),
      jobs: this.jobs,
    };
  }

  /** The request body the executor would send, parsed as the service parses it (an InputError names the key). */
  parse(body: Record<string, string>): ParsedRequest {
    return parseProfilerRequest(body, this.deps.config);
  }

  /** Obtains and analyses the profile; signal (Ctrl-C) stops it, and the collector Job is deleted. */
  async profile(request: ParsedRequest, signal: AbortSignal): Promise<{ profiled: Profiled; viewer: ViewerProfile }> {
    const profiled = await obtain(request, this.deps, {}, signal);
    return { profiled, viewer: viewerProfileOf(request, profiled, this.pool, this.deps.store) };
  }

  /** Ends what is running (its Jobs deleted), stops the workers, removes the temporary store. */
  async close(): Promise<void> {
    await this.jobs.close();
    await this.pool.close();
    fs.rmSync(this.dataRoot, { recursive: true, force: true });
  }
}
