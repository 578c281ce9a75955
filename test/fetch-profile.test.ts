import { fetchProfile } from '../src/acquire/fetch-profile';
import { UpstreamError } from '../src/errors';
import { serve } from './support/http-json';

const options = { timeoutMs: 2000, maxBytes: 1024 };

describe('fetching a profile', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  async function server(handler: Parameters<typeof serve>[0]) {
    const s = await serve(handler);
    servers.push(s);
    return s;
  }

  test('follows a redirect within the same origin', async () => {
    const s = await server((req, res) => {
      if (req.url === '/old') res.writeHead(302, { location: '/debug/pprof/heap' }).end();
      else res.writeHead(200).end('profile-bytes');
    });
    const fetched = await fetchProfile(new URL(`${s.url}/old`), options);
    expect(fetched.bytes.toString()).toBe('profile-bytes');
    expect(fetched.url.pathname).toBe('/debug/pprof/heap');
  });

  test('follows a redirect to another host when no token is attached', async () => {
    const other = await server((_req, res) => res.writeHead(200).end('elsewhere'));
    const s = await server((_req, res) => res.writeHead(302, { location: `${other.url.replace('127.0.0.1', 'localhost')}/x` }).end());
    expect((await fetchProfile(new URL(s.url), options)).bytes.toString()).toBe('elsewhere');
  });

  test('refuses a redirect to a scheme other than http(s)', async () => {
    const s = await server((_req, res) => res.writeHead(302, { location: 'file:///etc/passwd' }).end());
    await expect(fetchProfile(new URL(s.url), options)).rejects.toThrow(/redirected to a file: URL; not followed/);
  });

  test('follows no redirect at all while a token is attached, and the token never reaches the target', async () => {
    const seen: string[] = [];
    const s = await server((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(302, { location: '/moved' }).end();
    });
    // The token only travels over https in the service; the fetcher itself is tested over http here.
    await expect(fetchProfile(new URL(`${s.url}/first`), { ...options, token: 'secret-token' })).rejects.toThrow(/not followed while a token is attached/);
    expect(seen).toEqual(['/first Bearer secret-token']);
  });

  test('stops at the byte limit, declared or streamed', async () => {
    const declared = await server((_req, res) => res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000)));
    await expect(fetchProfile(new URL(declared.url), options)).rejects.toThrow(/5000 bytes, more than the limit of 1024/);
    const streamed = await server((_req, res) => {
      res.writeHead(200);
      res.write('x'.repeat(800));
      res.end('y'.repeat(800));
    });
    await expect(fetchProfile(new URL(streamed.url), options)).rejects.toThrow(/larger than the limit of 1024 bytes/);
  });

  test('gives up at the timeout', async () => {
    const silent = await server(() => undefined);
    const started = Date.now();
    const error = await fetchProfile(new URL(silent.url), { ...options, timeoutMs: 300 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toMatch(/no complete answer within/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
