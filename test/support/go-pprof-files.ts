// `go tool pprof` given several profiles at once, as a person merges them (`go tool pprof a.pb.gz b.pb.gz`): the
// reference mergeProfiles is held to. go-pprof.ts runs it on one file.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { goPprofTool } from './go-pprof';
import { goEnv } from './go-target';

const execFileAsync = promisify(execFile);

/** pprof's stdout for `args` (a report such as -top, -raw, -tags, and its options) over `files`, never symbolizing. */
export async function goPprofFiles(files: string[], args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(await goPprofTool(), [...args, '-symbolize=none', ...files], { env: goEnv(), maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** -top with every row and unscaled values (as goPprofTop), plus any further options. */
export function goPprofFilesTop(files: string[], ...options: string[]): Promise<string> {
  return goPprofFiles(files, ['-top', '-nodefraction=0', '-nodecount=0', '-unit=ns', ...options]);
}
