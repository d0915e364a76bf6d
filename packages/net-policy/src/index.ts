// Outbound-call safety (SSRF). Decides whether an address may be connected to: loopback, private, link-local,
// CGNAT, multicast, unspecified and other reserved ranges are refused unless the policy allows private networks
// or the host/address is on the allow-list. The worker applies it to every RESOLVED address at connect time; the
// API applies it to literal IP hosts (and `localhost`) when a job is saved.
import { BlockList, isIP } from "node:net";

/** A forbidden range with the label used in error messages. */
const V4_RANGES: [string, number, string][] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"],
  ["192.88.99.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];
const V6_RANGES: [string, number, string][] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["64:ff9b:1::", 48, "reserved"],
  ["100::", 64, "reserved"],
  ["2001::", 23, "reserved"],
  ["2001:db8::", 32, "reserved"],
  ["fc00::", 7, "private"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "reserved"],
  ["ff00::", 8, "multicast"],
];

const v4Lists = V4_RANGES.map(([net, prefix, label]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, "ipv4");
  return { list, label };
});
const v6Lists = V6_RANGES.map(([net, prefix, label]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, "ipv6");
  return { list, label };
});

/** Removes brackets and a zone id: "[fe80::1%eth0]" → "fe80::1". */
export function bareAddress(host: string): string {
  let h = host.trim();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  const zone = h.indexOf("%");
  return zone >= 0 && h.includes(":") ? h.slice(0, zone) : h;
}

/** The eight 16-bit groups of an IPv6 address (an embedded dotted quad included), or null. */
function ipv6Groups(addr: string): number[] | null {
  if (isIP(addr) !== 6) return null;
  let text = addr.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const o = dotted[1].split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1].length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return groups.length === 8 ? groups : null;
}

const v4FromGroups = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/**
 * The IPv4 address an IPv6 address carries, when it is one of the forms that reach an IPv4 host:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
 */
export function embeddedIpv4(addr: string): string | null {
  const g = ipv6Groups(addr);
  if (!g) return null;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroPrefix && g5 === 0xffff) return v4FromGroups(g6, g7);
  if (zeroPrefix && g5 === 0 && (g6 !== 0 || g7 > 1)) return v4FromGroups(g6, g7);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4FromGroups(g6, g7);
  if (g0 === 0x2002) return v4FromGroups(g1, g2);
  return null;
}

/**
 * Why an IP address is not a public unicast address ("loopback", "private", "link-local", "carrier-grade NAT",
 * "multicast", "unspecified", "reserved"), or null when it is one. Non-IP input is "not an IP address".
 */
export function forbiddenRange(ip: string): string | null {
  const addr = bareAddress(ip);
  const family = isIP(addr);
  if (family === 4) return v4Lists.find((r) => r.list.check(addr, "ipv4"))?.label ?? null;
  if (family === 6) {
    const v4 = embeddedIpv4(addr);
    if (v4 !== null) return forbiddenRange(v4);
    return v6Lists.find((r) => r.list.check(addr, "ipv6"))?.label ?? null;
  }
  return "not an IP address";
}

/** `localhost` and names under `.localhost` always mean this machine (RFC 6761). */
export const isLocalhostName = (host: string) => {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
};

export interface NetworkPolicyOptions {
  /** Turns the protection off: every address is allowed. */
  allowPrivateNetworks: boolean;
  /**
   * Exceptions: hostnames (exact, or `*.example.com` for subdomains), IP addresses and CIDR ranges
   * (`10.0.0.0/8`, `fd00::/8`). A listed hostname may resolve anywhere; a listed address or range may be reached
   * under any name.
   */
  allowedHosts?: readonly string[];
}

export type AddressDecision = { allowed: true } | { allowed: false; range: string };

export interface NetworkPolicy {
  readonly allowPrivateNetworks: boolean;
  /** Whether `host` (a hostname or literal, as in the URL) is on the allow-list by name or address. */
  hostAllowed(host: string): boolean;
  /** Decision for connecting to `ip` on behalf of `host`. */
  check(host: string, ip: string): AddressDecision;
}

/** Splits a comma/whitespace-separated list, ignoring blanks: "a.example, 10.0.0.0/8" → ["a.example", "10.0.0.0/8"]. */
export function parseHostList(value: string | undefined | null): string[] {
  return (value ?? "")
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Problems with allow-list entries (for config validation): entries that are neither hostnames, IPs nor CIDRs. */
export function invalidHostListEntries(entries: readonly string[]): string[] {
  return entries.filter((e) => {
    const cidr = /^(.+)\/(\d{1,3})$/.exec(e);
    if (cidr?.[1] && cidr[2]) {
      const family = isIP(bareAddress(cidr[1]));
      const prefix = Number(cidr[2]);
      return family === 0 || prefix > (family === 4 ? 32 : 128);
    }
    if (isIP(bareAddress(e)) !== 0) return false;
    return !/^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i.test(e);
  });
}

export function createNetworkPolicy(opts: NetworkPolicyOptions): NetworkPolicy {
  const names = new Set<string>();
  const suffixes: string[] = [];
  const nets = new BlockList();
  for (const entry of opts.allowedHosts ?? []) {
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr?.[1] && cidr[2]) {
      const addr = bareAddress(cidr[1]);
      const family = isIP(addr);
      if (family !== 0) nets.addSubnet(addr, Number(cidr[2]), family === 4 ? "ipv4" : "ipv6");
      continue;
    }
    const addr = bareAddress(entry);
    const family = isIP(addr);
    if (family !== 0) nets.addAddress(addr, family === 4 ? "ipv4" : "ipv6");
    else if (entry.startsWith("*.")) suffixes.push(entry.slice(1).toLowerCase().replace(/\.$/, ""));
    else names.add(entry.toLowerCase().replace(/\.$/, ""));
  }
  const addressListed = (ip: string) => {
    const addr = bareAddress(ip);
    const family = isIP(addr);
    if (family === 0) return false;
    if (nets.check(addr, family === 4 ? "ipv4" : "ipv6")) return true;
    const v4 = family === 6 ? embeddedIpv4(addr) : null;
    return v4 !== null && nets.check(v4, "ipv4");
  };
  const nameListed = (host: string) => {
    const h = bareAddress(host).toLowerCase().replace(/\.$/, "");
    return names.has(h) || suffixes.some((s) => h.endsWith(s));
  };
  return {
    allowPrivateNetworks: opts.allowPrivateNetworks,
    hostAllowed: (host) => nameListed(host) || addressListed(host),
    check(host, ip) {
      if (opts.allowPrivateNetworks || nameListed(host) || addressListed(ip)) return { allowed: true };
      const range = forbiddenRange(ip);
      return range === null ? { allowed: true } : { allowed: false, range };
    },
  };
}

/**
 * For URL validation where nothing is resolved: the reason a URL's host is certainly not public (a literal
 * loopback/private/reserved IP, or `localhost`), or null. Hostnames are only checked by the worker, after DNS.
 */
export function literalHostProblem(hostname: string): string | null {
  const host = bareAddress(hostname);
  if (isLocalhostName(host)) return "loopback";
  if (isIP(host) === 0) return null;
  return forbiddenRange(host);
}

export const BLOCKED_ERROR_CODE = "ERR_BTICK_BLOCKED_ADDRESS";

/** Thrown (or passed to a lookup callback) when the policy refuses every address of a host. */
export class BlockedAddressError extends Error {
  readonly code = BLOCKED_ERROR_CODE;
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    const shownHost = bareAddress(host);
    super(
      shownHost === bareAddress(address)
        ? `blocked by outbound network policy: ${shownHost} is a ${range} address`
        : `blocked by outbound network policy: ${shownHost} resolves to ${address}, a ${range} address`,
    );
    this.name = "BlockedAddressError";
  }
}

/** Finds a BlockedAddressError in an error or its cause chain. */
export function findBlockedError(err: unknown): BlockedAddressError | null {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof BlockedAddressError) return e;
    if (typeof e === "object" && (e as { code?: unknown }).code === BLOCKED_ERROR_CODE) return e as BlockedAddressError;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
