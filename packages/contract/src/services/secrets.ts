// Secret header values and signing secrets: encrypted on write, masked on read.
//
// A job's `headers` column holds the mask for every secret header; the real values live encrypted in
// `secret_headers` (name → envelope). The worker copies `headers` into each run's request_headers, so run
// records hold the masked form too, and decrypts `secret_headers` only when it sends the request.
import type { Prisma } from "@btick/db";
import {
  createKeyring,
  DEFAULT_SECRET_HEADER_PATTERNS,
  DEVELOPMENT_KEY,
  isEnvelope,
  MASK,
  secretHeaderMatcher,
  type Keyring,
  type SecretHeaderMatcher,
} from "@btick/secrets";

import type { FieldIssue } from "../schemas/jobs.ts";

export { MASK };

export interface SecretsOptions {
  keyring: Keyring;
  isSecretHeader: SecretHeaderMatcher;
  /** The patterns isSecretHeader matches (SECRET_HEADER_PATTERNS), e.g. for a form to list them. */
  secretHeaderPatterns: readonly string[];
  /** After a signing-secret rotation the previous secret is still used for this long (unless the request says). */
  previousSigningSecretTtlSeconds: number;
}

export const DEFAULT_PREVIOUS_SIGNING_SECRET_TTL_SECONDS = 24 * 60 * 60;

export function createSecretsOptions(opts: {
  keyring: Keyring;
  patterns?: readonly string[];
  previousSigningSecretTtlSeconds?: number;
}): SecretsOptions {
  const patterns = opts.patterns ?? DEFAULT_SECRET_HEADER_PATTERNS;
  return {
    keyring: opts.keyring,
    isSecretHeader: secretHeaderMatcher(patterns),
    secretHeaderPatterns: patterns,
    previousSigningSecretTtlSeconds: opts.previousSigningSecretTtlSeconds ?? DEFAULT_PREVIOUS_SIGNING_SECRET_TTL_SECONDS,
  };
}

let development: SecretsOptions | undefined;

/**
 * Used when a context is created without secrets options (tests, tools): the public development key. The API
 * always passes the configured options; its config refuses to start in production without a key.
 */
export function developmentSecretsOptions(): SecretsOptions {
  development ??= createSecretsOptions({ keyring: createKeyring(DEVELOPMENT_KEY) });
  return development;
}

/** Associated data binding a tenant's ciphertexts to that tenant. */
export const secretContext = (tenantId: string) => `tenant:${tenantId}`;

function stringRecord(v: Prisma.JsonValue | null | undefined): Record<string, string> {
  if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  return out;
}

function findCaseInsensitive(record: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(record)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

export interface SealedHeaders {
  /** What goes into jobs.headers: secret values replaced by the mask. */
  headers: Record<string, string>;
  /** What goes into jobs.secret_headers: name → envelope. */
  secretHeaders: Record<string, string>;
  issues: FieldIssue[];
}

/**
 * Splits submitted headers into the stored (masked) headers and the encrypted secret values. A secret header
 * whose submitted value is the mask keeps the value stored for that name (case-insensitively), so a client can
 * send back what it read without destroying the secret; a value sealed with an older key is re-sealed with the
 * current one on the way.
 */
export function sealHeaders(
  input: Record<string, string>,
  opts: { tenantId: string; secrets: SecretsOptions; stored?: { headers: Prisma.JsonValue; secretHeaders: Prisma.JsonValue } },
): SealedHeaders {
  const storedHeaders = stringRecord(opts.stored?.headers);
  const storedSecrets = stringRecord(opts.stored?.secretHeaders);
  const out: SealedHeaders = { headers: {}, secretHeaders: {}, issues: [] };
  for (const [name, value] of Object.entries(input)) {
    const storedEnvelope = findCaseInsensitive(storedSecrets, name);
    const secret = opts.secrets.isSecretHeader(name) || (value === MASK && storedEnvelope !== undefined);
    if (!secret) {
      out.headers[name] = value;
      continue;
    }
    let envelope: string | undefined;
    if (value !== MASK) {
      // The value already stored (under the current key) keeps its envelope, so sending it again changes nothing.
      envelope =
        storedEnvelope !== undefined && opensTo(opts.secrets, storedEnvelope, opts.tenantId, value)
          ? storedEnvelope
          : opts.secrets.keyring.seal(value, secretContext(opts.tenantId));
    } else if (storedEnvelope !== undefined && isEnvelope(storedEnvelope)) {
      envelope = resealIfStale(opts.secrets, storedEnvelope, opts.tenantId);
    } else {
      // A value stored in plain text before the header counted as secret: encrypt it now.
      const plain = findCaseInsensitive(storedHeaders, name);
      if (plain !== undefined && plain !== MASK) envelope = opts.secrets.keyring.seal(plain, secretContext(opts.tenantId));
    }
    if (envelope === undefined) {
      out.issues.push({ field: `headers.${name}`, message: `is the mask ${MASK}, but no value is stored for this header` });
      continue;
    }
    out.headers[name] = MASK;
    out.secretHeaders[name] = envelope;
  }
  return out;
}

/**
 * An envelope sealed with an older key, re-sealed with the current one (finishing a key rotation for this value);
 * a current envelope, or one no configured key opens (the worker reports that when it runs), is kept as is.
 */
function resealIfStale(secrets: SecretsOptions, envelope: string, tenantId: string): string {
  if (!secrets.keyring.isStale(envelope)) return envelope;
  try {
    return secrets.keyring.seal(secrets.keyring.open(envelope, secretContext(tenantId)), secretContext(tenantId));
  } catch {
    return envelope;
  }
}

/** Whether `envelope` is sealed with the current key and decrypts to `value`. */
function opensTo(secrets: SecretsOptions, envelope: string, tenantId: string, value: string): boolean {
  if (!isEnvelope(envelope) || secrets.keyring.isStale(envelope)) return false;
  try {
    return secrets.keyring.open(envelope, secretContext(tenantId)) === value;
  } catch {
    return false;
  }
}

/** Masks the values of secret-looking headers (defence in depth for values stored before a pattern existed). */
export function maskHeaders(headers: Record<string, string>, isSecret: SecretHeaderMatcher): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = isSecret(k) ? MASK : v;
  return out;
}
