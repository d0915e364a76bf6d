// `btick admin …`: operator commands that work on the database directly (no API key needed), so the first
// user and key can be created without a browser.
import type { Command } from "commander";
import { z } from "zod";

import { generateApiKey, isScope, SCOPES, type Scope } from "@btick/auth";
import {
  checkPassword,
  createUser as createUserAccount,
  DuplicateEmailError,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  normalizeEmail,
  UserInputError,
  type CreatedUser,
} from "@btick/contract/users";
import type { Db } from "@btick/db";

import { CliError } from "../errors.ts";
import type { Io } from "../io.ts";

// ---- input parsing (pure) ----

/** Runs a users-service check, rewording its error for the command line ("--email must not be empty"). */
function asCli<T>(fn: () => T, raw?: string): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof UserInputError)) throw err;
    const shown = err.field === "email" && err.message === "is not a valid email address" && raw !== undefined ? `: ${raw.trim()}` : "";
    throw new CliError(`--${err.field} ${err.message}${shown}`);
  }
}

/** Trims and lower-cases an email address (as stored) and checks its shape (rules: @btick/contract/users). */
export function parseEmail(raw: string): string {
  return asCli(() => normalizeEmail(raw), raw);
}

export { MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH };

export function parsePassword(raw: string): string {
  return asCli(() => checkPassword(raw));
}

/** Same rule as the API: trimmed, 1..200 characters. */
export function parseKeyName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0) throw new CliError("--name must not be empty");
  if (name.length > 200) throw new CliError("--name must be at most 200 characters");
  return name;
}

/** `jobs:read,jobs:write` → scopes in canonical order, duplicates removed. */
export function parseScopes(raw: string): Scope[] {
  const given = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (given.length === 0) throw new CliError(`--scopes must list at least one scope; valid scopes: ${SCOPES.join(", ")}`);
  const invalid = given.filter((s) => !isScope(s));
  if (invalid.length > 0) {
    throw new CliError(`invalid scope ${invalid.map((s) => `"${s}"`).join(", ")}; valid scopes: ${SCOPES.join(", ")}`);
  }
  return SCOPES.filter((s) => given.includes(s));
}

/** An RFC 3339 timestamp in the future, or undefined for a key that never expires. */
export function parseExpiresAt(raw: string | undefined, now = new Date()): Date | null {
  if (raw === undefined) return null;
  const value = raw.trim();
  if (!z.iso.datetime({ offset: true }).safeParse(value).success) {
    throw new CliError(`--expires-at must be an RFC 3339 timestamp such as 2030-01-01T00:00:00Z, got "${raw}"`);
  }
  const at = new Date(value);
  if (at.getTime() <= now.getTime()) throw new CliError("--expires-at must be in the future");
  return at;
}

// ---- operations (database) ----

const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === "P2002";

export type { CreatedUser };

/** Creates a user and the tenant it owns (the same service the web UI's registration uses). */
export async function createUser(db: Db, input: { email: string; password: string }): Promise<CreatedUser> {
  const email = parseEmail(input.email);
  const password = parsePassword(input.password);
  try {
    return await createUserAccount(db, { email, password });
  } catch (err) {
    if (err instanceof DuplicateEmailError) throw new CliError(err.message);
    throw err;
  }
}

export interface CreatedApiKey {
  id: string;
  name: string;
  rawKey: string;
  keyPrefix: string;
  scopes: Scope[];
  expiresAt: Date | null;
  email: string;
}

/** Mints an API key in the tenant of the user with this email. The raw key exists only in the result. */
export async function createApiKey(
  db: Db,
  input: { email: string; name: string; scopes: string; expiresAt?: string },
  now = new Date(),
): Promise<CreatedApiKey> {
  const email = parseEmail(input.email);
  const name = parseKeyName(input.name);
  const scopes = parseScopes(input.scopes);
  const expiresAt = parseExpiresAt(input.expiresAt, now);
  const user = await db.user.findUnique({ where: { email } });
  if (!user) throw new CliError(`no user with email ${email} (create it with: pnpm btick admin create-user)`);
  for (let attempt = 0; ; attempt++) {
    const generated = generateApiKey();
    try {
      const key = await db.apiKey.create({
        data: {
          tenantId: user.tenantId,
          name,
          keyPrefix: generated.prefix,
          keyHash: generated.hash,
          scopes,
          createdBy: `user:${user.id}`,
          expiresAt,
        },
      });
      return { id: key.id, name, rawKey: generated.raw, keyPrefix: key.keyPrefix, scopes, expiresAt, email };
    } catch (err) {
      // A 48-bit prefix collision: draw another key once.
      if (attempt === 0 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

// ---- commands ----

export function registerAdminCommands(program: Command, io: Io): void {
  const admin = program
    .command("admin")
    .description("operator commands on the database (DATABASE_URL, or the embedded database of `pnpm start`)");

  admin
    .command("create-user")
    .description("create a user and the tenant it owns")
    .requiredOption("--email <email>", "login email (stored trimmed and lower-cased)")
    .requiredOption("--password <password>", `password, at least ${MIN_PASSWORD_LENGTH} characters (stored as an argon2id hash)`)
    .action(async (opts: { email: string; password: string }) => {
      // Validate before touching the database, so input errors are instant.
      parseEmail(opts.email);
      parsePassword(opts.password);
      const user = await io.withDatabase((db) => createUser(db, opts));
      io.stdout(`created user ${user.email} (user ${user.userId}, tenant ${user.tenantId})\n`);
    });

  admin
    .command("create-api-key")
    .description("mint an API key for a user; prints the raw key (only once) on stdout")
    .requiredOption("--email <email>", "the owning user's email")
    .requiredOption("--name <name>", "a label for the key (1-200 characters)")
    .requiredOption("--scopes <scopes>", `comma-separated scopes: ${SCOPES.join(",")}`)
    .option("--expires-at <timestamp>", "expiry as an RFC 3339 timestamp (default: never)")
    .action(async (opts: { email: string; name: string; scopes: string; expiresAt?: string }) => {
      parseEmail(opts.email);
      parseKeyName(opts.name);
      parseScopes(opts.scopes);
      parseExpiresAt(opts.expiresAt);
      const key = await io.withDatabase((db) => createApiKey(db, opts));
      io.stdout(`${key.rawKey}\n`);
      io.stderr(
        `created API key "${key.name}" (${key.keyPrefix}, scopes ${key.scopes.join(",")}` +
          `${key.expiresAt ? `, expires ${key.expiresAt.toISOString()}` : ""}) for ${key.email}; ` +
          "it is shown only this once\n",
      );
    });
}
