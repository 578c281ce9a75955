/**
 * The log files of one container, one per instance (restart), as the kubelet
 * keeps them under /var/log/pods/<pod>/<container>/<restartCount>.log: the
 * current one is what pods/log serves, the one before it what `previous` does.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { CriLogWriter } from './cri-log';
import { streamLog } from './log-reader';

/** kubelet's MaxContainerTerminationMessageLogLines and MaxContainerTerminationMessageLogLength. */
const TERMINATION_MESSAGE_LINES = 80;
const TERMINATION_MESSAGE_BYTES = 2048;

export interface LogSource {
  file: string;
  /** The writer while the instance still runs. */
  live?: CriLogWriter;
}

export class ContainerLogs {
  private readonly instances: CriLogWriter[] = [];

  constructor(private readonly dir: string) {}

  /** The log of a new instance of the container. */
  start(restartCount: number): CriLogWriter {
    mkdirSync(this.dir, { recursive: true });
    const writer = new CriLogWriter(path.join(this.dir, `${restartCount}.log`));
    this.instances.push(writer);
    return writer;
  }

  current(): LogSource | undefined {
    return source(this.instances.at(-1));
  }

  previous(): LogSource | undefined {
    return source(this.instances.at(-2));
  }
}

function source(writer: CriLogWriter | undefined): LogSource | undefined {
  return writer && { file: writer.file, live: writer.closed ? undefined : writer };
}

/** FallbackToLogsOnError: the end of the log, as the kubelet's readLastStringFromContainerLogs takes it. */
export async function terminationMessage(file: string): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const options = { follow: false, previous: false, timestamps: false, tailLines: TERMINATION_MESSAGE_LINES };
  await streamLog(file, undefined, options, out, new AbortController().signal);
  const text = Buffer.concat(chunks);
  return text.subarray(Math.max(0, text.length - TERMINATION_MESSAGE_BYTES)).toString('utf8');
}
