import { createHmac } from "node:crypto";

import { describe, expect, it } from "vitest";

import { computeSignature, generateWebhookSecret, signWebhook, verifyWebhook } from "../src/index.ts";

// Test vector from the Standard Webhooks reference implementations.
const SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SPEC_TS = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

describe("signWebhook / verifyWebhook", () => {
  it("matches the Standard Webhooks test vector", () => {
    expect(signWebhook({ secret: SPEC_SECRET, id: SPEC_ID, timestamp: SPEC_TS, body: SPEC_BODY })["webhook-signature"]).toBe(SPEC_SIG);
    const headers = { "webhook-id": SPEC_ID, "webhook-timestamp": String(SPEC_TS), "webhook-signature": SPEC_SIG };
    expect(verifyWebhook({ secret: SPEC_SECRET, headers, body: SPEC_BODY, now: new Date(SPEC_TS * 1000) })).toEqual({ ok: true, id: SPEC_ID, timestamp: SPEC_TS });
  });

  it("is HMAC-SHA256 over id.timestamp.body with the decoded key", () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const key = Buffer.from(secret.slice(6), "base64");
    const manual = createHmac("sha256", key).update("id1.10.body").digest("base64");
    expect(computeSignature(secret, "id1", 10, "body")).toBe(manual);
    expect(computeSignature(secret, "id1", 10, new TextEncoder().encode("body"))).toBe(manual);
  });

  const now = new Date("2026-12-03T12:00:00Z");
  const ts = Math.floor(now.getTime() / 1000);
  const secret = generateWebhookSecret();
  const signed = (body = "{}", t = ts, s: string | string[] = secret) => signWebhook({ secret: s, id: "run-1", timestamp: t, body });

  it("rejects a wrong secret, a tampered body, a tampered id and stale or future timestamps", () => {
    expect(verifyWebhook({ secret, headers: signed(), body: "{}", now }).ok).toBe(true);
    expect(verifyWebhook({ secret: generateWebhookSecret(), headers: signed(), body: "{}", now })).toEqual({ ok: false, reason: "no matching signature" });
    expect(verifyWebhook({ secret, headers: signed(), body: '{"a":1}', now }).ok).toBe(false);
    expect(verifyWebhook({ secret, headers: { ...signed(), "webhook-id": "run-2" }, body: "{}", now }).ok).toBe(false);
    expect(verifyWebhook({ secret, headers: signed("{}", ts - 301), body: "{}", now })).toEqual({ ok: false, reason: "timestamp outside tolerance" });
    expect(verifyWebhook({ secret, headers: signed("{}", ts + 301), body: "{}", now }).ok).toBe(false);
    expect(verifyWebhook({ secret, headers: signed("{}", ts - 301), body: "{}", now, toleranceSeconds: 600 }).ok).toBe(true);
    expect(verifyWebhook({ secret, headers: { ...signed(), "webhook-timestamp": "12abc" }, body: "{}", now })).toEqual({ ok: false, reason: "invalid timestamp" });
    expect(verifyWebhook({ secret, headers: {}, body: "{}", now })).toEqual({ ok: false, reason: "missing headers" });
    expect(verifyWebhook({ secret, headers: { ...signed(), "webhook-signature": "v2,abc v1" }, body: "{}", now }).ok).toBe(false);
  });

  it("accepts any one of several signatures (rotation) and Fetch Headers with any name case", () => {
    const old = generateWebhookSecret();
    const headers = signed("{}", ts, [old, secret]);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(verifyWebhook({ secret, headers, body: "{}", now }).ok).toBe(true);
    expect(verifyWebhook({ secret: old, headers, body: "{}", now }).ok).toBe(true);
    const fetchHeaders = new Headers({ "Webhook-Id": "run-1", "Webhook-Timestamp": String(ts), "Webhook-Signature": headers["webhook-signature"] });
    expect(verifyWebhook({ secret: [generateWebhookSecret(), secret], headers: fetchHeaders, body: "{}", now }).ok).toBe(true);
    expect(verifyWebhook({ secret, headers: { "WEBHOOK-ID": "run-1", "webhook-timestamp": String(ts), "webhook-signature": [headers["webhook-signature"]] }, body: "{}", now }).ok).toBe(true);
  });

  it("rejects malformed secrets", () => {
    expect(() => computeSignature("whsec_", "a", 1, "")).toThrow(/invalid webhook secret/);
    expect(() => computeSignature("whsec_not base64!", "a", 1, "")).toThrow(/invalid webhook secret/);
  });
});
