import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";

/**
 * API keys keep the original's format: `skd_<12 hex>_<32 base64url>` (49 characters).
 * `skd_<12 hex>` is the public prefix, stored and shown; the database keeps only the lowercase hex SHA-256
 * of the whole raw key, which is shown once at creation. 192 random bits make a salt unnecessary.
 */
export const KEY_PREFIX_TAG = "skd";

export interface GeneratedKey {
  raw: string;
  prefix: string;
  hash: string;
}

const encoder = new TextEncoder();

export function hashApiKey(raw: string): string {
  return encodeHexLowerCase(sha256(encoder.encode(raw)));
}

export function generateApiKey(): GeneratedKey {
  const prefix = `${KEY_PREFIX_TAG}_${encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(6)))}`;
  const raw = `${prefix}_${encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(24)))}`;
  return { raw, prefix, hash: hashApiKey(raw) };
}

/** Splits a presented key into its lookup prefix, or null when it cannot be one of ours. */
export function parseApiKey(token: string): { prefix: string } | null {
  const t = token.trim();
  // The secret part may itself contain "_", so split into at most three parts.
  const first = t.indexOf("_");
  const second = first < 0 ? -1 : t.indexOf("_", first + 1);
  if (first < 0 || second < 0) return null;
  const tag = t.slice(0, first);
  const id = t.slice(first + 1, second);
  const secret = t.slice(second + 1);
  if (tag !== KEY_PREFIX_TAG || !/^[0-9a-f]{12}$/.test(id) || secret.length === 0 || t.length > 200) return null;
  return { prefix: `${tag}_${id}` };
}

/** Constant-time comparison of a presented key against a stored hash. */
export function verifyApiKey(raw: string, storedHash: string): boolean {
  const a = encoder.encode(hashApiKey(raw.trim()));
  const b = encoder.encode(storedHash);
  return a.length === b.length && constantTimeEqual(a, b);
}

/** Parses an Authorization header: `Bearer <token>`, scheme case-insensitive. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const v = header.trim();
  if (v.length < 8 || v.slice(0, 7).toLowerCase() !== "bearer ") return null;
  const token = v.slice(7).trim();
  return token === "" ? null : token;
}
