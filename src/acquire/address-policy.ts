import dns from 'node:dns';
import net from 'node:net';
import { UpstreamError } from '../errors';

/** Cloud metadata services and link-local: never a Go program's pprof endpoint, always an SSRF prize. */
export const DEFAULT_DENY = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128', 'metadata.google.internal'];
/** Loopback and private ranges stay allowed: pods and node components live there. */
export const DEFAULT_ALLOW = ['0.0.0.0/0', '::/0'];

/**
 * Which addresses the service may fetch from. Checked on the address actually connected to: IP literals (in any
 * spelling the URL parser accepts, e.g. 2130706433, 0x7f.1, [::ffff:a9fe:a9fe]) before connecting, names through the
 * connection's own DNS lookup, so a name cannot resolve to one address for the check and another for the connect.
 */
export class AddressPolicy {
  private readonly allowed = new net.BlockList();
  private readonly denied = new net.BlockList();
  private readonly deniedNames = new Set<string>();

  constructor(allow: string[] = DEFAULT_ALLOW, deny: string[] = DEFAULT_DENY) {
    for (const entry of allow) addRange(this.allowed, entry, 'allow');
    for (const entry of deny) {
      if (isRange(entry)) addRange(this.denied, entry, 'deny');
      else this.deniedNames.add(entry.toLowerCase().replace(/\.$/, ''));
    }
  }

  /** Why an address may not be fetched from, or undefined when it may. */
  refuse(address: string): string | undefined {
    const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (this.denied.check(address, family)) return `address ${address} is in a denied range`;
    if (!this.allowed.check(address, family)) return `address ${address} is outside the allowed ranges`;
    return undefined;
  }

  /** Refuses a URL's host before any connection when it is a denied name or a denied IP literal. */
  checkHost(url: URL): void {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
    if (this.deniedNames.has(host)) throw refused(url, `host ${host} is denied`);
    if (net.isIP(host)) {
      const reason = this.refuse(host);
      if (reason) throw refused(url, reason);
    }
  }

  /** A dns.lookup for http.request that only ever hands the socket allowed addresses. */
  readonly lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const usable = addresses.filter((a) => this.refuse(a.address) === undefined);
      if (usable.length === 0) {
        const reason = this.refuse(addresses[0]?.address ?? '') ?? 'no address';
        const denied = Object.assign(new Error(`${hostname} resolves to ${reason}`), { code: 'EADDRDENIED' });
        return callback(denied, '', 0);
      }
      if ((options as dns.LookupOptions).all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, usable);
      else callback(null, usable[0].address, usable[0].family);
    });
  };
}

function refused(url: URL, reason: string): UpstreamError {
  return new UpstreamError(`fetching profile from ${url.origin}: refused by the address policy: ${reason}`);
}

function isRange(entry: string): boolean {
  return net.isIP(entry.split('/')[0]) !== 0;
}

function addRange(list: net.BlockList, entry: string, what: string): void {
  const [address, bits] = entry.split('/');
  const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
  if (!net.isIP(address)) throw new Error(`configuration: ${what} entry ${JSON.stringify(entry)} is not an address or CIDR range`);
  if (bits === undefined) list.addAddress(address, family);
  else list.addSubnet(address, Number(bits), family);
}
