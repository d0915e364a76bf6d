// Connect-time SSRF guard for the worker's HTTP agent. Every address a hostname resolves to is checked against the
// network policy inside the socket's own DNS lookup, so the address that is checked is the address that is
// connected to: DNS rebinding and redirects (which go through the same agent) cannot get around it.
// Literal IP hosts never reach a lookup, so the connector checks them itself.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP } from "node:net";

import { bareAddress, BlockedAddressError, type NetworkPolicy } from "@btick/net-policy";
import { buildConnector } from "undici";

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `dns.lookup` replacement that drops refused addresses, failing with BlockedAddressError when none is left. */
export function guardedLookup(policy: NetworkPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : "", undefined);
      const allowed = addresses.filter((a) => policy.check(hostname, a.address).allowed);
      const first = allowed[0];
      if (!first) {
        const refused = addresses[0];
        const decision = refused ? policy.check(hostname, refused.address) : null;
        const error = new BlockedAddressError(hostname, refused?.address ?? "", decision && !decision.allowed ? decision.range : "forbidden");
        return callback(error as unknown as NodeJS.ErrnoException, options.all ? [] : "", undefined);
      }
      if (options.all) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}

/** An undici connector applying `policy` to literal IP hosts and, through guardedLookup, to resolved ones. */
export function guardedConnector(policy: NetworkPolicy, connectOptions: buildConnector.BuildOptions = {}): buildConnector.connector {
  const base = buildConnector({ ...connectOptions, lookup: guardedLookup(policy) } as buildConnector.BuildOptions);
  return (opts, callback) => {
    const host = bareAddress(opts.hostname);
    if (isIP(host) !== 0) {
      const decision = policy.check(host, host);
      if (!decision.allowed) {
        callback(new BlockedAddressError(host, host, decision.range), null);
        return;
      }
    }
    base(opts, callback);
  };
}
