// Verification of the Standard Webhooks signature BTick puts on every request it sends to a job's URL. The code
// is packages/webhooks (the same file the worker signs with), bundled into the SDK's build; its declarations are
// restated here with structural types so that they name no DOM or Node type (`Headers`, `Buffer`).
import { DEFAULT_TOLERANCE_SECONDS as TOLERANCE, verifyWebhook as verifyWithNodeCrypto } from "@btick/webhooks";

/** Default tolerance between `webhook-timestamp` and the receiver's clock, in seconds (both directions). */
export const DEFAULT_TOLERANCE_SECONDS: number = TOLERANCE;

/**
 * The request's headers: a Fetch `Headers` object (anything with `get(name)`), or a record such as Node's
 * `req.headers` (header names are case-insensitive).
 */
export type WebhookHeaders = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface VerifyWebhookInput {
  /** The job's signing secret (`whsec_...`); several are accepted (e.g. old and new while you switch). */
  secret: string | readonly string[];
  headers: WebhookHeaders;
  /** The raw request body exactly as received (not re-serialized JSON); "" for bodiless requests. */
  body: string | Uint8Array;
  /** Maximum age (and future skew) of `webhook-timestamp` in seconds; default 300. */
  toleranceSeconds?: number;
  /** The receiver's clock, for tests; default: now. */
  now?: Date;
}

export type VerifyWebhookResult =
  | { ok: true; id: string; timestamp: number }
  | { ok: false; reason: "missing headers" | "invalid timestamp" | "timestamp outside tolerance" | "no matching signature" };

/**
 * Checks a request's `webhook-id`, `webhook-timestamp` and `webhook-signature` headers against the job's
 * signing secret (constant-time comparison; the timestamp must be within `toleranceSeconds`). Returns the
 * verified id (the run id, identical across retries: use it to drop duplicates) or the reason for rejecting it.
 * Needs `node:crypto` (Node, Deno, Bun).
 */
export function verifyWebhook(input: VerifyWebhookInput): VerifyWebhookResult {
  // Only `get` is used on a headers object, so any object that has it works.
  return verifyWithNodeCrypto(input as Parameters<typeof verifyWithNodeCrypto>[0]);
}
