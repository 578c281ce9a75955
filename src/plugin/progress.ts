import type { Writable } from 'node:stream';
import type { CollectorProgress } from '../acquire/job/job-collector';

/** What a person sees on stderr while the command works: one line per step, nothing with -q. */
export class Progress {
  private countdown?: NodeJS.Timeout;

  constructor(
    private readonly stderr: Writable,
    private readonly quiet: boolean,
  ) {}

  line(text: string): void {
    if (!this.quiet) this.stderr.write(`${text}\n`);
  }

  /** The collector's steps; a CPU profile's seconds left once its collector runs. */
  collector(cpuSeconds: number | undefined): (event: CollectorProgress) => void {
    return (event) => {
      switch (event.step) {
        case 'job-created':
          return this.line(`Job ${event.job} created, for node ${event.node}`);
        case 'pod':
          this.line(`Pod ${event.pod}: ${event.phase}${event.reason ? ` (${event.reason})` : ''}${event.node ? ` on ${event.node}` : ''}`);
          if (event.phase === 'Running' && cpuSeconds) this.startCountdown(cpuSeconds);
          return;
        case 'collected':
          this.stopCountdown();
          return this.line(`Brought back ${bytes(event.bytes)}`);
        case 'job-deleted':
          return this.line(`Job ${event.job} deleted`);
        case 'job-kept':
          return this.line(`Job ${event.job} left in place (--cleanup=false)`);
      }
    };
  }

  /** "profiling: 20 s left", every 10 s, for a CPU profile being taken. */
  startCountdown(seconds: number): void {
    if (this.countdown || this.quiet) return;
    const end = Date.now() + seconds * 1000;
    this.line(`Taking a ${seconds} s CPU profile`);
    this.countdown = setInterval(() => {
      const left = Math.round((end - Date.now()) / 1000);
      if (left <= 0) return this.stopCountdown();
      this.line(`profiling: ${left} s left`);
    }, 10_000);
    this.countdown.unref();
  }

  stopCountdown(): void {
    clearInterval(this.countdown);
    this.countdown = undefined;
  }
}

export function bytes(count: number): string {
  if (count < 1024) return `${count} bytes`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`;
  return `${(count / 1024 / 1024).toFixed(1)} MiB`;
}
