import { AddressPolicy } from '../src/acquire/address-policy';
import { fetchProfile } from '../src/acquire/fetch-profile';
import { serve } from './support/http-json';

// Every address a test connects to is on loopback: denied addresses are refused before any connection is made.
const options = { timeoutMs: 2000, maxBytes: 1 << 20 };

describe('the address policy (SSRF)', () => {
  let local: Awaited<ReturnType<typeof serve>>;
  let port: string;
  beforeAll(async () => {
    local = await serve((req, res) => {
      if (req.url === '/to-metadata') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      else if (req.url === '/to-mapped') res.writeHead(302, { location: 'http://[::ffff:a9fe:a9fe]/' }).end();
      else res.writeHead(200).end('ok');
    });
    port = new URL(local.url).port;
  });
  afterAll(() => local.close());

  test.each([
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is in a denied range/],
    ['http://[::ffff:a9fe:a9fe]/', /::ffff:a9fe:a9fe is in a denied range/],
    ['http://[::ffff:169.254.169.254]/', /is in a denied range/],
    ['http://2852039166/', /169\.254\.169\.254 is in a denied range/],
    ['http://0xa9.0xfe.0xa9.0xfe/', /169\.254\.169\.254 is in a denied range/],
    ['http://[fe80::1]/', /fe80::1 is in a denied range/],
    ['http://[fd00:ec2::254]/', /fd00:ec2::254 is in a denied range/],
    ['http://metadata.google.internal/computeMetadata/v1/', /host metadata.google.internal is denied/],
    ['http://METADATA.google.internal./', /host metadata.google.internal is denied/],
  ])('default policy refuses %s before connecting', async (url, reason) => {
    await expect(fetchProfile(new URL(url), { ...options, policy: new AddressPolicy() })).rejects.toThrow(reason);
  });

  test.each(['127.0.0.1', '2130706433', '0x7f.1', '127.1', '[::ffff:127.0.0.1]', 'localhost'])(
    'default policy allows loopback spelled %s (pods and node components live there)',
    async (host) => {
      const fetched = await fetchProfile(new URL(`http://${host}:${port}/`), { ...options, policy: new AddressPolicy() });
      expect(fetched.bytes.toString()).toBe('ok');
    },
  );

  test.each(['127.0.0.1', '2130706433', '0x7f.1', '0177.0.0.1', '[::ffff:7f00:1]'])('a policy denying loopback refuses the literal %s', async (host) => {
    const policy = new AddressPolicy(['0.0.0.0/0'], ['127.0.0.0/8']);
    await expect(fetchProfile(new URL(`http://${host}:${port}/`), { ...options, policy })).rejects.toThrow(/127\.0\.0\.1|7f00:1/);
  });

  test('a name is checked on the address it resolves to, the one connected to', async () => {
    const policy = new AddressPolicy(['0.0.0.0/0', '::/0'], ['127.0.0.0/8', '::1/128']);
    await expect(fetchProfile(new URL(`http://localhost:${port}/`), { ...options, policy })).rejects.toThrow(/localhost resolves to address .* is in a denied range/);
  });

  test('an allow-list admits only its ranges', async () => {
    const policy = new AddressPolicy(['10.0.0.0/8'], []);
    await expect(fetchProfile(new URL(`http://127.0.0.1:${port}/`), { ...options, policy })).rejects.toThrow(/outside the allowed ranges/);
  });

  test.each(['/to-metadata', '/to-mapped'])('a redirect (%s) is checked again and refused', async (path) => {
    await expect(fetchProfile(new URL(`${local.url}${path}`), { ...options, policy: new AddressPolicy() })).rejects.toThrow(/refused by the address policy/);
  });

  test('a bad range in configuration is a clear error', () => {
    expect(() => new AddressPolicy(['10.0.0.0/8', 'ten'], [])).toThrow(/allow entry "ten" is not an address or CIDR range/);
  });
});
