import { describe, expect, it } from "vitest";

import {
  createKeyring,
  DEFAULT_SECRET_HEADER_PATTERNS,
  DEVELOPMENT_KEY,
  generateKey,
  isEnvelope,
  keyringFromConfig,
  parseKey,
  parseSecretHeaderPatterns,
  SecretDecryptionError,
  secretHeaderMatcher,
} from "../src/index.ts";

describe("keyring", () => {
  it("round-trips, with a fresh IV each time and the key id in the envelope", () => {
    const ring = createKeyring(generateKey());
    const a = ring.seal("Bearer abc", "tenant-1");
    const b = ring.seal("Bearer abc", "tenant-1");
    expect(a).not.toBe(b);
    expect(isEnvelope(a)).toBe(true);
    expect(a.split(":")[1]).toBe(ring.currentKeyId);
    expect(a).not.toContain("abc");
    expect(ring.open(a, "tenant-1")).toBe("Bearer abc");
    expect(ring.open(ring.seal("ünïcødé 🔑"), undefined)).toBe("ünïcødé 🔑");
    expect(ring.open(ring.seal(""))).toBe("");
  });

  it("detects tampering with the ciphertext, IV, tag or associated data", () => {
    const ring = createKeyring(generateKey());
    const env = ring.seal("secret value", "tenant-1");
    const parts = env.split(":");
    const flip = (s: string) => {
      const buf = Buffer.from(s, "base64url");
      buf[0] = (buf[0] ?? 0) ^ 1;
      return buf.toString("base64url");
    };
    for (const i of [2, 3, 4]) {
      const tampered = parts.map((p, j) => (j === i ? flip(p) : p)).join(":");
      expect(() => ring.open(tampered, "tenant-1")).toThrow(SecretDecryptionError);
    }
    expect(() => ring.open(env, "tenant-2")).toThrow(/failed authentication/);
    expect(() => ring.open(env)).toThrow(SecretDecryptionError);
    expect(() => ring.open("v1:abc")).toThrow(/not an encrypted value/);
    expect(() => ring.open("plain")).toThrow(SecretDecryptionError);
  });

  it("rotates keys: old envelopes open with the old key listed, new ones use the new key", () => {
    const oldKey = generateKey();
    const newKey = generateKey();
    const oldRing = createKeyring(oldKey);
    const oldEnvelope = oldRing.seal("token-1");

    const rotated = createKeyring(newKey, [oldKey]);
    expect(rotated.open(oldEnvelope)).toBe("token-1");
    expect(rotated.isStale(oldEnvelope)).toBe(true);
    const resealed = rotated.seal(rotated.open(oldEnvelope));
    expect(rotated.isStale(resealed)).toBe(false);
    expect(resealed.split(":")[1]).toBe(rotated.currentKeyId);

    // Without the old key the old envelope cannot be opened, and says which key is missing.
    expect(() => createKeyring(newKey).open(oldEnvelope)).toThrow(new RegExp(oldRing.currentKeyId));
    // The old key alone cannot open new envelopes.
    expect(() => oldRing.open(resealed)).toThrow(SecretDecryptionError);
  });

  it("validates keys and falls back to the development key only when unset", () => {
    expect(() => parseKey("short")).toThrow(/32 bytes/);
    expect(() => parseKey("not base64 !!")).toThrow(/base64/);
    expect(parseKey(Buffer.alloc(32, 7).toString("base64url"))).toHaveLength(32);
    expect(parseKey(DEVELOPMENT_KEY)).toHaveLength(32);

    const dev = keyringFromConfig({});
    expect(dev.development).toBe(true);
    expect(dev.keyring.currentKeyId).toBe(createKeyring(DEVELOPMENT_KEY).currentKeyId);
    const key = generateKey();
    const real = keyringFromConfig({ key, oldKeys: ` ${DEVELOPMENT_KEY} , ` });
    expect(real.development).toBe(false);
    expect(real.keyring.open(dev.keyring.seal("x"))).toBe("x");
  });
});

describe("secret header names", () => {
  // Credential-carrying names seen in real APIs; each must be encrypted and masked by the defaults.
  const secret = [
    ["Authorization", "HTTP authentication"],
    ["authorization", "any case"],
    ["Proxy-Authorization", "proxy authentication"],
    ["COOKIE", "session cookies"],
    ["Token", "bare token"],
    ["X-Auth-Token", "*-Token"],
    ["access_token", "underscore"],
    ["XToken", "no separator"],
    ["X-Vault-Token", "HashiCorp Vault"],
    ["PRIVATE-TOKEN", "GitLab"],
    ["X-Amz-Security-Token", "AWS session token"],
    ["X-CSRF-Token", "CSRF token"],
    ["x-api-key", "API key"],
    ["X-API-Key", "API key"],
    ["X_API_KEY", "underscores"],
    ["ApiKey", "no separator"],
    ["apikey", "no separator, lower case"],
    ["api_key", "underscore"],
    ["X-Goog-Api-Key", "Google"],
    ["DD-API-KEY", "Datadog"],
    ["X-RapidAPI-Key", "*-Key"],
    ["Ocp-Apim-Subscription-Key", "Azure"],
    ["X-Access-Key", "*-Key"],
    ["X-Auth", "bare auth"],
    ["Authentication", "auth"],
    ["X-Auth-User", "auth"],
    ["X-Session", "session"],
    ["X-Session-Id", "session id"],
    ["Session_Token", "session"],
    ["Signature", "request signature"],
    ["X-Hub-Signature-256", "GitHub webhooks"],
    ["Client-Secret", "*Secret*"],
    ["X-Secret-Value", "*Secret*"],
    ["X-Webhook-Secret", "*Secret*"],
    ["X-Password", "*Password*"],
    ["db_password", "underscore"],
  ] as const;
  // Ordinary request headers: their values must stay readable.
  const ordinary = [
    "Content-Type",
    "Content-Length",
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "User-Agent",
    "Host",
    "Cache-Control",
    "Connection",
    "If-None-Match",
    "If-Modified-Since",
    "ETag",
    "Origin",
    "Referer",
    "X-Request-Id",
    "X-Correlation-Id",
    "X-Forwarded-For",
    "X-Api-Version",
    "X-Monkey",
    "Keyboard",
    "X-Keycloak-Realm",
    "Set-Cookie2",
  ];

  it.each(secret)("masks %s (%s) by default", (name) => {
    expect(secretHeaderMatcher()(name)).toBe(true);
  });

  it.each(ordinary)("leaves %s readable by default", (name) => {
    expect(secretHeaderMatcher()(name)).toBe(false);
  });

  it("still masks every name the earlier defaults masked", () => {
    const earlier = secretHeaderMatcher(["Authorization", "Proxy-Authorization", "Cookie", "*-Token", "*-Key", "*Secret*", "*Password*"]);
    const now = secretHeaderMatcher();
    for (const name of [...secret.map(([n]) => n), ...ordinary, "Idempotency-Key", "X-Token", "My-Secret", "Password"]) {
      if (earlier(name)) expect(now(name), name).toBe(true);
    }
  });

  it("treats - and _ in a pattern as either separator", () => {
    const isSecret = secretHeaderMatcher(["X-Custom-Id", "Api_Key"]);
    for (const name of ["X-Custom-Id", "x_custom_id", "X_Custom-Id", "API-KEY", "api_key"]) expect(isSecret(name), name).toBe(true);
    for (const name of ["XCustomId", "X-Custom-Ids", "ApiKey"]) expect(isSecret(name), name).toBe(false);
  });

  it("parses SECRET_HEADER_PATTERNS and treats only * as special", () => {
    expect(parseSecretHeaderPatterns(undefined)).toBe(DEFAULT_SECRET_HEADER_PATTERNS);
    expect(parseSecretHeaderPatterns("  ")).toBe(DEFAULT_SECRET_HEADER_PATTERNS);
    const patterns = parseSecretHeaderPatterns("X-Custom, *.sig");
    expect(patterns).toEqual(["X-Custom", "*.sig"]);
    const isSecret = secretHeaderMatcher(patterns);
    expect(isSecret("x-custom")).toBe(true);
    expect(isSecret("Authorization")).toBe(false);
    expect(isSecret("a.sig")).toBe(true);
    expect(isSecret("asig")).toBe(false);
  });
});
