import { describe, expect, it } from "vitest";

import {
  createNetworkPolicy,
  embeddedIpv4,
  forbiddenRange,
  invalidHostListEntries,
  literalHostProblem,
  parseHostList,
} from "../src/index.ts";

describe("forbiddenRange", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["224.0.0.251", "multicast"],
    ["239.255.255.250", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["255.255.255.255", "reserved"],
    ["198.18.0.1", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fe80::1", "link-local"],
    ["[fe80::1%eth0]", "link-local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:a9fe:a9fe", "link-local"],
    ["::10.0.0.1", "private"],
    ["64:ff9b::10.0.0.1", "private"],
    ["2002:c0a8:0101::1", "private"],
    ["2001:db8::1", "reserved"],
  ])("%s is %s", (ip, label) => {
    expect(forbiddenRange(ip)).toBe(label);
  });

  it.each(["93.184.216.34", "8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:0808:0808::1"])(
    "%s is public",
    (ip) => {
      expect(forbiddenRange(ip)).toBeNull();
    },
  );

  it("reads the IPv4 address inside mapped, NAT64 and 6to4 forms", () => {
    expect(embeddedIpv4("::ffff:1.2.3.4")).toBe("1.2.3.4");
    expect(embeddedIpv4("64:ff9b::102:304")).toBe("1.2.3.4");
    expect(embeddedIpv4("2002:102:304::")).toBe("1.2.3.4");
    expect(embeddedIpv4("2606:4700::1111")).toBeNull();
  });
});

describe("createNetworkPolicy", () => {
  it("refuses private addresses by default and names the range", () => {
    const p = createNetworkPolicy({ allowPrivateNetworks: false });
    expect(p.check("internal.example", "10.0.0.5")).toEqual({ allowed: false, range: "private" });
    expect(p.check("example.com", "93.184.216.34")).toEqual({ allowed: true });
  });

  it("allows everything when private networks are allowed", () => {
    const p = createNetworkPolicy({ allowPrivateNetworks: true });
    expect(p.check("localhost", "127.0.0.1")).toEqual({ allowed: true });
  });

  it("allow-lists hostnames, wildcard subdomains, addresses and CIDR ranges", () => {
    const p = createNetworkPolicy({
      allowPrivateNetworks: false,
      allowedHosts: parseHostList("hooks.internal, *.svc.cluster.local 192.168.10.7,10.20.0.0/16, fd00::/8"),
    });
    expect(p.check("hooks.internal", "10.0.0.1").allowed).toBe(true);
    expect(p.check("HOOKS.internal.", "10.0.0.1").allowed).toBe(true);
    expect(p.check("a.svc.cluster.local", "10.0.0.1").allowed).toBe(true);
    expect(p.check("svc.cluster.local.evil.example", "10.0.0.1").allowed).toBe(false);
    expect(p.check("anything.example", "192.168.10.7").allowed).toBe(true);
    expect(p.check("anything.example", "192.168.10.8").allowed).toBe(false);
    expect(p.check("x", "10.20.3.4").allowed).toBe(true);
    expect(p.check("x", "::ffff:10.20.3.4").allowed).toBe(true);
    expect(p.check("x", "fd00::5").allowed).toBe(true);
    expect(p.check("x", "127.0.0.1").allowed).toBe(false);
    expect(p.hostAllowed("192.168.10.7")).toBe(true);
    expect(p.hostAllowed("[fd00::1]")).toBe(true);
  });

  it("reports allow-list entries that are not hosts, addresses or ranges", () => {
    expect(invalidHostListEntries(["a.example", "*.b.example", "10.0.0.0/8", "::1", "fd00::/8"])).toEqual([]);
    expect(invalidHostListEntries(["http://x", "10.0.0.0/33", "a b", "1.2.3.4/"])).toEqual(["http://x", "10.0.0.0/33", "a b", "1.2.3.4/"]);
  });
});

describe("literalHostProblem", () => {
  it("flags localhost and literal non-public IPs, leaves hostnames to the worker", () => {
    expect(literalHostProblem("localhost")).toBe("loopback");
    expect(literalHostProblem("api.localhost")).toBe("loopback");
    expect(literalHostProblem("127.0.0.1")).toBe("loopback");
    expect(literalHostProblem("[::1]")).toBe("loopback");
    expect(literalHostProblem("[::ffff:192.168.0.1]")).toBe("private");
    expect(literalHostProblem("169.254.169.254")).toBe("link-local");
    expect(literalHostProblem("example.com")).toBeNull();
    expect(literalHostProblem("8.8.8.8")).toBeNull();
  });
});
