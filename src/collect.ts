import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fetchProfile } from './acquire/fetch-profile';
import { COLLECTOR_ERROR_PREFIX, encodeFrame } from './acquire/framing';

/**
 * The collector a node Job runs with the service's own image:
 *
 *   node dist/collect.js --url <profile URL> --timeout-seconds <n> --max-bytes <n> [--secret-dir <mounted Secret>]
 *
 * It fetches one profile from where the Job runs (the target's node, or its host network) and prints it framed
 * on stdout (acquire/framing.ts); the service reads it back from the pod log. On failure it prints one line on
 * stderr and exits 1. The token comes from the mounted Secret's files, never from arguments or the environment.
 */
export interface CollectArgs {
  url: URL;
  timeoutMs: number;
  maxBytes: number;
  secretDir?: string;
}

export function parseCollectArgs(argv: string[]): CollectArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string' },
      'timeout-seconds': { type: 'string' },
      'max-bytes': { type: 'string' },
      'secret-dir': { type: 'string' },
    },
  });
  if (!values.url) throw new Error('--url is required');
  return {
    url: new URL(values.url),
    timeoutMs: positive(values['timeout-seconds'], '--timeout-seconds') * 1000,
    maxBytes: positive(values['max-bytes'], '--max-bytes'),
    secretDir: values['secret-dir'],
  };
}

async function collect(args: CollectArgs): Promise<string> {
  const secret = args.secretDir ? readMountedSecret(args.secretDir) : undefined;
  if (secret && args.url.protocol !== 'https:') throw new Error('refusing to send the token over plain http');
  const fetched = await fetchProfile(args.url, {
    token: secret?.token,
    ca: secret?.ca,
    timeoutMs: args.timeoutMs,
    maxBytes: args.maxBytes,
    limitName: 'JOB_MAX_PROFILE_BYTES, what a container log carries',
  });
  return encodeFrame(fetched.bytes);
}

/** The Secret volume: one file per key, `token` required, `ca.crt` optional. */
function readMountedSecret(dir: string): { token: string; ca?: string } {
  const read = (key: string) => {
    const file = path.join(dir, key);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  };
  const token = read('token')?.trim();
  if (!token) throw new Error('the mounted Secret has no key "token" (or it is empty)');
  return { token, ca: read('ca.crt') };
}

function positive(text: string | undefined, name: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

if (require.main === module) {
  // exitCode, not exit(): stdout to a pipe is asynchronous, and exit() could cut the frame short.
  Promise.resolve()
    .then(() => collect(parseCollectArgs(process.argv.slice(2))))
    .then((frame) => process.stdout.write(frame))
    .catch((error: Error) => {
      process.stderr.write(`${COLLECTOR_ERROR_PREFIX}${error.message.split('\n')[0]}\n`);
      process.exitCode = 1;
    });
}
