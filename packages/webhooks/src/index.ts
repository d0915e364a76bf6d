// Standard Webhooks signing and verification (https://www.standardwebhooks.com).
//
// Every request BTick sends carries:
//   webhook-id:        the run id (identical across the retries of one run)
//   webhook-timestamp: unix seconds of the attempt
//   webhook-signature: "v1,<base64 HMAC-SHA256(secret, `${id}.${timestamp}.${body}`)>", several space-separated
//                      while a secret rotation is in progress
// The secret is `whsec_<base64>`; the HMAC key is the base64-decoded part.
//
// This file is self-contained (only node:crypto) so it can be copied into, or re-exported from, other packages.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SECRET_PREFIX = "whsec_";
export const SIGNATURE_VERSION = "v1";
/** Default tolerance between the timestamp header and the receiver's clock (both directions). */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export type WebhookBody = string | Uint8Array;
/** A Fetch `Headers` object, or Node's `IncomingHttpHeaders`-style record (names in any case). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** A new random secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

/** The HMAC key of a `whsec_` secret (a bare base64 secret is accepted too). Throws on an empty/invalid secret. */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new TypeError("invalid webhook secret: expected whsec_<base64>");
  const key = Buffer.from(encoded, "base64");
  if (key.length === 0) throw new TypeError("invalid webhook secret: empty key");
  return key;
}

function bodyBuffer(body: WebhookBody): Buffer {
  return typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` (no version prefix). */
export function computeSignature(secret: string, id: string, timestamp: number, body: WebhookBody): string {
  return createHmac("sha256", secretKey(secret))
    .update(`${id}.${timestamp}.`, "utf8")
    .update(bodyBuffer(body))
    .digest("base64");
}

export interface SignWebhookInput {
  /** One secret, or several (e.g. current and previous during a rotation): one signature each, in order. */
  secret: string | readonly string[];
  id: string;
  /** Unix seconds; default: now. */
  timestamp?: number;
  body: WebhookBody;
}

/** The three headers to send. */
export function signWebhook(input: SignWebhookInput): { "webhook-id": string; "webhook-timestamp": string; "webhook-signature": string } {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const secrets = typeof input.secret === "string" ? [input.secret] : input.secret;
  if (secrets.length === 0) throw new TypeError("signWebhook needs at least one secret");
  const signature = secrets.map((s) => `${SIGNATURE_VERSION},${computeSignature(s, input.id, timestamp, input.body)}`).join(" ");
  return { "webhook-id": input.id, "webhook-timestamp": String(timestamp), "webhook-signature": signature };
}

export interface VerifyWebhookInput {
  /** The job's signing secret (`whsec_...`); several are accepted (e.g. while rotating on the receiving side). */
  secret: string | readonly string[];
  headers: WebhookHeaders;
  /** The raw request body exactly as received (not re-serialized JSON); "" for bodiless requests. */
  body: WebhookBody;
  /** Maximum age (and future skew) of webhook-timestamp in seconds; default 300. */
  toleranceSeconds?: number;
  /** The receiver's clock, for tests; default: now. */
  now?: Date;
}

export type VerifyWebhookResult =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; reason: "missing headers" | "invalid timestamp" | "timestamp outside tolerance" | "no matching signature" };

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value.join(" ") : value;
  }
  return undefined;
}

/**
 * Checks a request's Standard Webhooks signature. Pure apart from reading the clock: returns the verified
 * id and timestamp, or the reason for rejecting it. Use the id to drop duplicates (retries reuse it).
 */
export function verifyWebhook(input: VerifyWebhookInput): VerifyWebhookResult {
  const id = header(input.headers, "webhook-id");
  const ts = header(input.headers, "webhook-timestamp");
  const sig = header(input.headers, "webhook-signature");
  if (!id || !ts || !sig) return { ok: false, reason: "missing headers" };
  if (!/^\d{1,12}$/.test(ts.trim())) return { ok: false, reason: "invalid timestamp" };
  const timestamp = Number(ts.trim());
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: "timestamp outside tolerance" };

  const secrets = typeof input.secret === "string" ? [input.secret] : input.secret;
  const expected = secrets.map((s) => Buffer.from(computeSignature(s, id, timestamp, input.body), "base64"));
  for (const candidate of sig.trim().split(/\s+/)) {
    const comma = candidate.indexOf(",");
    if (comma < 0 || candidate.slice(0, comma) !== SIGNATURE_VERSION) continue;
    const given = Buffer.from(candidate.slice(comma + 1), "base64");
    for (const e of expected) if (given.length === e.length && timingSafeEqual(given, e)) return { ok: true, id, timestamp };
  }
  return { ok: false, reason: "no matching signature" };
}
