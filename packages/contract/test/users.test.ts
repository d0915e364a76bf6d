// Users service: registration rules, sign-in checks, password change ending sessions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import {
  authenticateUser,
  changePassword,
  checkPassword,
  createUser,
  DuplicateEmailError,
  normalizeEmail,
  UserInputError,
} from "../src/services/users.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe("input rules", () => {
  it("normalizes emails and rejects malformed ones with a field-tagged error", () => {
    expect(normalizeEmail("  Ada@Example.COM ")).toBe("ada@example.com");
    for (const [raw, message] of [
      ["   ", "must not be empty"],
      ["nope", "is not a valid email address"],
      [`${"a".repeat(250)}@x.io`, "must be at most 254 characters"],
    ] as const) {
      const err = (() => {
        try {
          normalizeEmail(raw);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UserInputError);
      expect(err).toMatchObject({ field: "email", message });
    }
  });

  it("requires passwords of 8..1024 characters", () => {
    expect(checkPassword("12345678")).toBe("12345678");
    expect(() => checkPassword("1234567")).toThrow("must be at least 8 characters");
    expect(() => checkPassword("x".repeat(1025))).toThrow("must be at most 1024 characters");
  });
});

describe("accounts", () => {
  it("creates a user with its own tenant and an argon2id hash; a duplicate email is a DuplicateEmailError", async () => {
    const user = await createUser(db.prisma, { email: "Grace@Example.com", password: "right password" });
    expect(user.email).toBe("grace@example.com");
    const row = await db.prisma.user.findUniqueOrThrow({ where: { id: user.userId } });
    expect(row.tenantId).toBe(user.tenantId);
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    await expect(createUser(db.prisma, { email: "grace@example.com ", password: "other password" })).rejects.toBeInstanceOf(DuplicateEmailError);
  });

  it("authenticates only the right email and password, returning null for every failure", async () => {
    const user = await createUser(db.prisma, { email: "linus@example.com", password: "right password" });
    expect(await authenticateUser(db.prisma, " LINUS@example.com", "right password")).toEqual(user);
    expect(await authenticateUser(db.prisma, "linus@example.com", "wrong password")).toBeNull();
    expect(await authenticateUser(db.prisma, "nobody@example.com", "right password")).toBeNull();
    expect(await authenticateUser(db.prisma, "not an email", "right password")).toBeNull();
  });

  it("changes the password only with the current one, and ends all of the user's sessions", async () => {
    const user = await createUser(db.prisma, { email: "barbara@example.com", password: "old password" });
    const other = await createUser(db.prisma, { email: "edsger@example.com", password: "old password" });
    const expiresAt = new Date(Date.now() + 3_600_000);
    await db.prisma.session.createMany({
      data: [
        { id: "a".repeat(64), userId: user.userId, expiresAt },
        { id: "b".repeat(64), userId: user.userId, expiresAt },
        { id: "c".repeat(64), userId: other.userId, expiresAt },
      ],
    });
    expect(await changePassword(db.prisma, user.userId, "wrong", "new password")).toBe(false);
    expect(await db.prisma.session.count({ where: { userId: user.userId } })).toBe(2);
    expect(await changePassword(db.prisma, user.userId, "old password", "new password")).toBe(true);
    expect(await db.prisma.session.count({ where: { userId: user.userId } })).toBe(0);
    expect(await db.prisma.session.count({ where: { userId: other.userId } })).toBe(1);
    expect(await authenticateUser(db.prisma, "barbara@example.com", "new password")).not.toBeNull();
    expect(await authenticateUser(db.prisma, "barbara@example.com", "old password")).toBeNull();
  });
});
