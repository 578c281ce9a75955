/** The few Prometheus series the service exposes, kept by hand: counters, one gauge, two histograms. */
const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

class Histogram {
  private readonly counts = new Array<number>(BUCKETS.length).fill(0);
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string) {}
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) this.counts[i]++;
    });
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    BUCKETS.forEach((bound, i) => lines.push(`${this.name}_bucket{le="${bound}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines;
  }
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private bytesFetched = 0;
  readonly fetchSeconds = new Histogram('goprofiler_fetch_duration_seconds', 'Time to obtain a profile from its source.');
  readonly decodeSeconds = new Histogram('goprofiler_decode_duration_seconds', 'Time to decode and aggregate a profile.');

  constructor(
    private readonly liveViewers: () => number,
    private readonly storage?: { pending: () => number; failures: () => number; uploaded: () => number },
  ) {}

  countRequest(outcome: string): void {
    this.requests.set(outcome, (this.requests.get(outcome) ?? 0) + 1);
  }

  countBytes(bytes: number): void {
    this.bytesFetched += bytes;
  }

  render(): string {
    const lines = ['# HELP goprofiler_requests_total Processor requests by outcome.', '# TYPE goprofiler_requests_total counter'];
    for (const [outcome, count] of this.requests) lines.push(`goprofiler_requests_total{outcome="${outcome}"} ${count}`);
    lines.push(
      '# HELP goprofiler_live_viewers Viewers currently serving a profile.',
      '# TYPE goprofiler_live_viewers gauge',
      `goprofiler_live_viewers ${this.liveViewers()}`,
      '# HELP goprofiler_fetched_bytes_total Profile bytes fetched from sources.',
      '# TYPE goprofiler_fetched_bytes_total counter',
      `goprofiler_fetched_bytes_total ${this.bytesFetched}`,
      ...this.fetchSeconds.render(),
      ...this.decodeSeconds.render(),
    );
    if (this.storage) {
      lines.push(
        '# HELP goprofiler_storage_pending_uploads Objects kept on this replica until the store takes them.',
        '# TYPE goprofiler_storage_pending_uploads gauge',
        `goprofiler_storage_pending_uploads ${this.storage.pending()}`,
        '# HELP goprofiler_storage_upload_failures_total Uploads the store did not take (each attempt counts).',
        '# TYPE goprofiler_storage_upload_failures_total counter',
        `goprofiler_storage_upload_failures_total ${this.storage.failures()}`,
        '# HELP goprofiler_storage_uploads_total Objects uploaded to the store.',
        '# TYPE goprofiler_storage_uploads_total counter',
        `goprofiler_storage_uploads_total ${this.storage.uploaded()}`,
      );
    }
    return lines.join('\n') + '\n';
  }
}
