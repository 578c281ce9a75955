import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** A profile file, or one with its goroutine?debug=2 dump (served for `debug=2`, as Go's handler does). */
export type ServedProfile = string | { profile: string; dump?: string };

/**
 * A local pprof source: /<name>/debug/pprof/<anything> serves the named profile file, as a Go program would (any
 * type, any ?seconds=: the file is what is served); with `debug=2` in the query, the profile's dump when it has one.
 */
export async function serveProfiles(files: Record<string, ServedProfile>): Promise<{ url: string; close(): Promise<void> }> {
  const served = Object.fromEntries(
    Object.entries(files).map(([name, f]) => {
      const { profile, dump } = typeof f === 'string' ? { profile: f, dump: undefined } : f;
      return [name, { profile: fs.readFileSync(profile), dump: dump === undefined ? undefined : fs.readFileSync(dump) }];
    }),
  );
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://source');
    const files = served[url.pathname.split('/')[1]];
    const body = url.searchParams.get('debug') === '2' && files?.dump ? files.dump : files?.profile;
    if (!body) return void res.writeHead(404).end('404 page not found');
    const type = body === files.dump ? 'text/plain; charset=utf-8' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
