import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

/**
 * bench/profile-server.ts in a process of its own, so that serving a large profile does not run on the event loop of
 * the test (and of a service started in it) that is being measured. Resolves once it listens.
 */
export async function serveProfilesInChild(files: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const child: ChildProcess = fork(path.join(__dirname, 'profile-server-child.ts'), [JSON.stringify(files)], {
    execArgv: ['-r', path.join(__dirname, 'register-ts.js')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve(String(message)));
    child.once('exit', (code) => reject(new Error(`the profile server exited with ${code}`)));
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}
