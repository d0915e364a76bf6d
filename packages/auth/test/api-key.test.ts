import { describe, expect, it } from "vitest";

import { bearerToken, generateApiKey, hashApiKey, parseApiKey, verifyApiKey } from "../src/api-key.ts";
import { hashPassword, verifyPassword } from "../src/password.ts";

describe("API keys", () => {
  it("generates the original's format: skd_<12 hex>_<32 base64url>", () => {
    const key = generateApiKey();
    expect(key.raw).toMatch(/^skd_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/);
    expect(key.raw).toHaveLength(49);
    expect(key.prefix).toBe(key.raw.slice(0, 16));
    expect(key.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(key.hash).toBe(hashApiKey(key.raw));
    expect(generateApiKey().raw).not.toBe(key.raw);
  });

  it("hashes the whole raw key with SHA-256", () => {
    expect(hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("parses keys whose secret contains underscores", () => {
    expect(parseApiKey("skd_0123456789ab_a_b_c")).toEqual({ prefix: "skd_0123456789ab" });
    expect(parseApiKey("  skd_0123456789ab_x  ")).toEqual({ prefix: "skd_0123456789ab" });
  });

  it.each(["", "skd", "skd_0123456789ab", "skd_0123456789ab_", "xyz_0123456789ab_s", "skd_XYZ_s", "skd_0123456789AB_s"])(
    "rejects malformed key %j",
    (k) => expect(parseApiKey(k)).toBeNull(),
  );

  it("verifies only the exact key", () => {
    const key = generateApiKey();
    expect(verifyApiKey(key.raw, key.hash)).toBe(true);
    expect(verifyApiKey(`${key.raw}x`, key.hash)).toBe(false);
    expect(verifyApiKey(key.raw, "00")).toBe(false);
  });

  it("reads Bearer headers case-insensitively and trims", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("  bEaReR   abc  ")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeNull();
    expect(bearerToken("Bearer ")).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});

describe("passwords", () => {
  it("hashes with argon2id and verifies", async () => {
    const h = await hashPassword("correct horse");
    expect(h).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(h, "correct horse")).toBe(true);
    expect(await verifyPassword(h, "wrong")).toBe(false);
    expect(await verifyPassword("not-a-hash", "x")).toBe(false);
  });
});
