// Secrets at rest: AES-256-GCM envelopes with a key id, a keyring for key rotation, and the rules deciding which
// request headers hold secrets (encrypted in the database, masked in every response).
//
// Envelope: `v1:<key id>:<iv>:<ciphertext>:<tag>` (base64url parts). The key id is the first 8 bytes of
// SHA-256(key) in hex, so keys need no names: configure the current key and any old ones, and each envelope says
// which key opens it. Optional associated data (e.g. the owning tenant) binds a ciphertext to its row.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

export const ENVELOPE_VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The fixed key used when SECRETS_ENCRYPTION_KEY is unset outside production. It is public (it is in this
 * file), so it protects nothing: the API and the worker log a warning when they fall back to it, and refuse to
 * start without a real key when NODE_ENV=production.
 */
export const DEVELOPMENT_KEY = Buffer.from("btick-development-key-not-secret").toString("base64");

export class SecretDecryptionError extends Error {
  override name = "SecretDecryptionError";
}

/** Decodes a base64 (or base64url) 32-byte key; throws with a readable message otherwise. */
export function parseKey(encoded: string): Buffer {
  const trimmed = encoded.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new TypeError("must be base64");
  const key = Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (key.length !== 32) throw new TypeError(`must decode to 32 bytes (got ${key.length}); generate one with: openssl rand -base64 32`);
  return key;
}

export function keyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** A new random key, base64 (what SECRETS_ENCRYPTION_KEY expects). */
export function generateKey(): string {
  return randomBytes(32).toString("base64");
}

export interface Keyring {
  /** Id of the key new envelopes are sealed with. */
  readonly currentKeyId: string;
  /** Encrypts with the current key. */
  seal(plaintext: string, associatedData?: string): string;
  /** Decrypts with whichever configured key the envelope names; throws SecretDecryptionError. */
  open(envelope: string, associatedData?: string): string;
  /** True when the envelope was sealed with an older key (re-seal it to finish a rotation). */
  isStale(envelope: string): boolean;
}

export function isEnvelope(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(`${ENVELOPE_VERSION}:`) && value.split(":").length === 5;
}

/**
 * A keyring from the current key and older keys still needed for decryption (all base64, 32 bytes).
 */
export function createKeyring(current: string, previous: readonly string[] = []): Keyring {
  const currentKey = parseKey(current);
  const currentKeyId = keyId(currentKey);
  const keys = new Map<string, Buffer>([[currentKeyId, currentKey]]);
  for (const p of previous) {
    const k = parseKey(p);
    if (!keys.has(keyId(k))) keys.set(keyId(k), k);
  }
  return {
    currentKeyId,
    seal(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", currentKey, iv);
      if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, "utf8"));
      const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [ENVELOPE_VERSION, currentKeyId, iv.toString("base64url"), ct.toString("base64url"), tag.toString("base64url")].join(":");
    },
    open(envelope, associatedData) {
      if (!isEnvelope(envelope)) throw new SecretDecryptionError("not an encrypted value");
      const [, kid, ivPart, ctPart, tagPart] = envelope.split(":") as [string, string, string, string, string];
      const key = keys.get(kid);
      if (!key) throw new SecretDecryptionError(`no configured key has id ${kid} (add the old key to SECRETS_ENCRYPTION_KEYS)`);
      const iv = Buffer.from(ivPart, "base64url");
      const tag = Buffer.from(tagPart, "base64url");
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptionError("malformed encrypted value");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
        if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, "utf8"));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ctPart, "base64url")), decipher.final()]).toString("utf8");
      } catch {
        throw new SecretDecryptionError("encrypted value failed authentication (tampered, or wrong key or context)");
      }
    },
    isStale(envelope) {
      return isEnvelope(envelope) && envelope.split(":")[1] !== currentKeyId;
    },
  };
}

export interface KeyringConfig {
  /** SECRETS_ENCRYPTION_KEY; unset → the development key. */
  key?: string | undefined;
  /** SECRETS_ENCRYPTION_KEYS: older keys, comma-separated, for decryption only. */
  oldKeys?: string | undefined;
}

/** Builds the process keyring from configuration; `development` tells the caller to warn loudly. */
export function keyringFromConfig(config: KeyringConfig): { keyring: Keyring; development: boolean } {
  const old = (config.oldKeys ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const key = config.key?.trim();
  return { keyring: createKeyring(key || DEVELOPMENT_KEY, old), development: !key };
}

export const DEVELOPMENT_KEY_WARNING =
  "SECRETS_ENCRYPTION_KEY is not set: secret header values and signing secrets are encrypted with the public " +
  "development key. Set SECRETS_ENCRYPTION_KEY (openssl rand -base64 32) before storing real credentials.";

// ---- Which headers are secret ----

/**
 * Default SECRET_HEADER_PATTERNS: case-insensitive, `*` matches any run of characters, and `-` and `_` match either
 * separator (`*Api-Key*` covers `X-API-Key`, `X_API_KEY` and `api_key`). Broad on purpose: masking a harmless value
 * (`X-Token-Count`) only hides it from readers, missing a credential stores it in plain text.
 */
export const DEFAULT_SECRET_HEADER_PATTERNS: readonly string[] = [
  "Authorization",
  "Proxy-Authorization",
  "Cookie",
  "*Auth*",
  "*Token*",
  "*Secret*",
  "*Password*",
  "*Session*",
  "*Signature*",
  "*Api-Key*",
  "*ApiKey*",
  "*-Key",
];

/** The placeholder shown instead of a secret header value; sending it back in a PATCH keeps the stored value. */
export const MASK = "***";

export type SecretHeaderMatcher = (headerName: string) => boolean;

/** `*` → any characters, `-`/`_` → either separator, everything else literal. */
function patternRegex(pattern: string): RegExp {
  const source = [...pattern]
    .map((c) => (c === "*" ? ".*" : c === "-" || c === "_" ? "[-_]" : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "i");
}

/** A matcher for glob patterns (`*` wildcard, `-` and `_` interchangeable, case-insensitive, whole name). */
export function secretHeaderMatcher(patterns: readonly string[] = DEFAULT_SECRET_HEADER_PATTERNS): SecretHeaderMatcher {
  const regexes = patterns
    .map((p) => p.trim())
    .filter(Boolean)
    .map(patternRegex);
  return (name) => regexes.some((r) => r.test(name));
}

/** Parses SECRET_HEADER_PATTERNS (comma-separated); unset or blank → the defaults. */
export function parseSecretHeaderPatterns(value: string | undefined): readonly string[] {
  const list = (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length > 0 ? list : DEFAULT_SECRET_HEADER_PATTERNS;
}
