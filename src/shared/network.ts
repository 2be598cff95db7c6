import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, Socket } from 'node:net';

/**
 * Addresses that are not the public internet (IANA special-purpose registries): loopback, private (RFC 1918,
 * ULA), link-local (cloud metadata lives at 169.254.169.254), CGNAT, benchmarking, documentation, multicast,
 * reserved, and every IPv6 form that embeds an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo), which
 * could reach a private IPv4 host through a translator.
 */
// Two lists: a BlockList checks an IPv4 address against IPv6 rules too (as ::ffff:a.b.c.d), which would put
// every IPv4 address inside ::ffff:0:0/96.
const NOT_PUBLIC_V4 = new BlockList();
const NOT_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC_V4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96], ['::ffff:0:0', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 32], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC_V6.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const h = ip.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(h);
  if (family === 4) return NOT_PUBLIC_V4.check(h, 'ipv4');
  if (family === 6) return NOT_PUBLIC_V6.check(h, 'ipv6');
  return false;
}

/** A host name (or literal address) that means this machine or its network, judged as written. */
export function isPrivateHostName(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.+$/, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.internal') || h.endsWith('.local')) return true;
  return isPrivateAddress(h);
}

export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:http(s) that refuses to connect to a private address, whatever the name: a public
 * name resolving to 10.x or 169.254.169.254 (DNS rebinding) is caught at connection time, which a check of
 * the URL alone cannot do.
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad || !list.length) return callback(new PrivateAddressError(`${hostname} resolves to a private address`), '');
    if (options.all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}

/** Whether something accepts TCP connections at host:port within `timeoutMs` (probing an optional service). */
export function tcpReachable(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}
