/**
 * Pod IPs: each pod gets a loopback address of its own (Linux routes all of
 * 127/8 to lo, so binding one needs no setup), so two pods can both listen on
 * :6060 as they would in separate network namespaces.
 */
const FIRST = 2;
const LAST = 254;

export class IpPool {
  private readonly used = new Set<number>();
  // Round-robin, so an address just freed is not handed out again at once (as a CNI's IPAM avoids).
  private next = FIRST;

  constructor(private readonly prefix: string, reserved: string[] = []) {
    for (const ip of reserved) {
      if (ip.startsWith(`${prefix}.`)) this.used.add(Number(ip.slice(prefix.length + 1)));
    }
  }

  allocate(): string {
    for (let tried = 0; tried <= LAST - FIRST; tried++) {
      const host = this.next;
      this.next = host === LAST ? FIRST : host + 1;
      if (!this.used.has(host)) {
        this.used.add(host);
        return `${this.prefix}.${host}`;
      }
    }
    throw new Error(`allocating a pod IP: all of ${this.prefix}.${FIRST}-${LAST} are in use`);
  }

  release(ip: string): void {
    if (ip.startsWith(`${this.prefix}.`)) this.used.delete(Number(ip.slice(this.prefix.length + 1)));
  }
}
