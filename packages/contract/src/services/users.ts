// User accounts: registration, password sign-in and password change. Shared by the web UI and the CLI's
// `admin create-user`, so both apply the same rules (email trimmed and lower-cased, password 8..1024 characters,
// argon2id). Errors carry the field they are about and a short message; each caller words them for its surface.
import { z } from "zod";

import { hashPassword, verifyPassword } from "@btick/auth";
import type { Db } from "@btick/db";

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_EMAIL_LENGTH = 254;

/** Invalid input: `field` is "email" or "password"; `message` reads after the field name ("must not be empty"). */
export class UserInputError extends Error {
  constructor(
    readonly field: "email" | "password",
    message: string,
  ) {
    super(message);
    this.name = "UserInputError";
  }
}

/** Registration with an email that already has an account. */
export class DuplicateEmailError extends Error {
  constructor(readonly email: string) {
    super(`a user with email ${email} already exists`);
    this.name = "DuplicateEmailError";
  }
}

const emailSchema = z.email();

/** Trims and lower-cases an email address (as stored) and checks its shape. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length === 0) throw new UserInputError("email", "must not be empty");
  if (email.length > MAX_EMAIL_LENGTH) throw new UserInputError("email", `must be at most ${MAX_EMAIL_LENGTH} characters`);
  if (!emailSchema.safeParse(email).success) throw new UserInputError("email", "is not a valid email address");
  return email;
}

/** Length rules only (no composition rules, per NIST SP 800-63B). */
export function checkPassword(raw: string): string {
  if (raw.length < MIN_PASSWORD_LENGTH) throw new UserInputError("password", `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (raw.length > MAX_PASSWORD_LENGTH) throw new UserInputError("password", `must be at most ${MAX_PASSWORD_LENGTH} characters`);
  return raw;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === "P2002";

export interface CreatedUser {
  userId: string;
  tenantId: string;
  email: string;
}

/** Creates a user and the tenant it owns, in one transaction. Throws UserInputError or DuplicateEmailError. */
export async function createUser(db: Db, input: { email: string; password: string }): Promise<CreatedUser> {
  const email = normalizeEmail(input.email);
  const password = checkPassword(input.password);
  // Hash first, so a duplicate email takes as long as a new one (registration does not reveal existing emails).
  const passwordHash = await hashPassword(password);
  if (await db.user.findUnique({ where: { email }, select: { id: true } })) throw new DuplicateEmailError(email);
  try {
    return await db.$transaction(async (tx) => {
      const tenant = await tx.tenant.create({ data: {} });
      const user = await tx.user.create({ data: { email, passwordHash, tenantId: tenant.id } });
      return { userId: user.id, tenantId: tenant.id, email };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new DuplicateEmailError(email);
    throw err;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks an email and password. Returns the user, or null for any failure (unknown email, wrong password,
 * malformed input) so callers cannot tell which. An unknown email still costs one argon2 verification.
 */
export async function authenticateUser(db: Db, rawEmail: string, password: string): Promise<CreatedUser | null> {
  let email: string | null;
  try {
    email = normalizeEmail(rawEmail);
  } catch {
    email = null;
  }
  const user = email === null ? null : await db.user.findUnique({ where: { email } });
  if (!user || password.length > MAX_PASSWORD_LENGTH) {
    dummyHash ??= hashPassword("btick-timing-equaliser");
    await verifyPassword(await dummyHash, password.slice(0, MAX_PASSWORD_LENGTH));
    return null;
  }
  if (!(await verifyPassword(user.passwordHash, password))) return null;
  return { userId: user.id, tenantId: user.tenantId, email: user.email };
}

/**
 * Replaces a user's password after checking the current one, and ends every session of that user (the caller
 * starts a fresh one for the browser that made the change). Returns false when the current password is wrong.
 */
export async function changePassword(db: Db, userId: string, current: string, next: string): Promise<boolean> {
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user || !(await verifyPassword(user.passwordHash, current))) return false;
  const passwordHash = await hashPassword(checkPassword(next));
  await db.$transaction([
    db.user.update({ where: { id: userId }, data: { passwordHash } }),
    db.session.deleteMany({ where: { userId } }),
  ]);
  return true;
}
