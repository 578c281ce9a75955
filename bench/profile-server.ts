import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** A local pprof source: /<name>/debug/pprof/heap serves the named profile file, as a Go program would. */
export async function serveProfiles(files: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const bytes = Object.fromEntries(Object.entries(files).map(([name, file]) => [name, fs.readFileSync(file)]));
  const server = http.createServer((req, res) => {
    const name = (req.url ?? '').split('/')[1];
    const body = bytes[name];
    if (!body) return void res.writeHead(404).end('404 page not found');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
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
