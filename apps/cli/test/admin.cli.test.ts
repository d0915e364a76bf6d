// Runs the real `btick` binary as a subprocess against a fresh test database.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { verifyApiKey, verifyPassword } from "@btick/auth";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const bin = fileURLToPath(new URL("../bin/btick.js", import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let db: TestDatabase;
const btick = (...args: string[]) => run(process.execPath, [bin, ...args], { DATABASE_URL: db.url });

beforeAll(async () => {
  db = await createTestDatabase("btick_cli");
});
afterAll(async () => {
  await db?.drop();
});

describe("btick admin create-user", () => {
  it("creates a user and its tenant with an argon2id password hash", async () => {
    const r = await btick("admin", "create-user", "--email", "  Ada@Example.COM ", "--password", "s3cret-pass");
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^created user ada@example\.com \(user [0-9a-f-]{36}, tenant [0-9a-f-]{36}\)\n$/);
    const user = await db.prisma.user.findUniqueOrThrow({ where: { email: "ada@example.com" } });
    expect(await db.prisma.tenant.count({ where: { id: user.tenantId } })).toBe(1);
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user.passwordHash, "s3cret-pass")).toBe(true);
  });

  it("refuses a duplicate email with a clear message and exit code 1", async () => {
    const r = await btick("admin", "create-user", "--email", "ADA@example.com", "--password", "another-pass");
    expect(r).toEqual({ code: 1, stdout: "", stderr: "error: a user with email ada@example.com already exists\n" });
    expect(await db.prisma.user.count({ where: { email: "ada@example.com" } })).toBe(1);
  });

  it("validates email and password before touching the database", async () => {
    const bad = await btick("admin", "create-user", "--email", "nope", "--password", "long-enough");
    expect(bad).toEqual({ code: 1, stdout: "", stderr: "error: --email is not a valid email address: nope\n" });
    const short = await btick("admin", "create-user", "--email", "bob@example.com", "--password", "short");
    expect(short).toEqual({ code: 1, stdout: "", stderr: "error: --password must be at least 8 characters\n" });
    const missing = await btick("admin", "create-user", "--email", "bob@example.com");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--password <password>' not specified");
    expect(await db.prisma.user.count({ where: { email: "bob@example.com" } })).toBe(0);
  });
});

describe("btick admin create-api-key", () => {
  it("prints only the raw key on stdout and stores its hash", async () => {
    const r = await btick(
      "admin", "create-api-key", "--email", "ada@example.com", "--name", " deploy ",
      "--scopes", "runs:read,jobs:write,jobs:read", "--expires-at", "2099-01-01T00:00:00Z",
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^skd_[0-9a-f]{12}_[A-Za-z0-9_-]{32}\n$/);
    expect(r.stderr).toContain('created API key "deploy"');
    const raw = r.stdout.trim();
    const user = await db.prisma.user.findUniqueOrThrow({ where: { email: "ada@example.com" } });
    const key = await db.prisma.apiKey.findUniqueOrThrow({ where: { keyPrefix: raw.slice(0, 16) } });
    expect(key).toMatchObject({
      name: "deploy",
      tenantId: user.tenantId,
      scopes: ["jobs:read", "jobs:write", "runs:read"],
      createdBy: `user:${user.id}`,
      revokedAt: null,
    });
    expect(key.expiresAt?.toISOString()).toBe("2099-01-01T00:00:00.000Z");
    expect(verifyApiKey(raw, key.keyHash)).toBe(true);
    expect(key.keyHash).not.toContain(raw.slice(17));
  });

  it("names the valid scopes when one is invalid", async () => {
    const r = await btick("admin", "create-api-key", "--email", "ada@example.com", "--name", "x", "--scopes", "jobs:read,admin");
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'error: invalid scope "admin"; valid scopes: jobs:read, jobs:write, jobs:delete, jobs:trigger, runs:read, keys:read, keys:write\n',
    });
  });

  it("fails for an unknown user and for a past expiry", async () => {
    const unknown = await btick("admin", "create-api-key", "--email", "ghost@example.com", "--name", "x", "--scopes", "jobs:read");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: no user with email ghost@example.com (create it with: pnpm btick admin create-user)\n");
    const past = await btick(
      "admin", "create-api-key", "--email", "ada@example.com", "--name", "x", "--scopes", "jobs:read", "--expires-at", "2001-01-01T00:00:00Z",
    );
    expect(past).toEqual({ code: 1, stdout: "", stderr: "error: --expires-at must be in the future\n" });
  });

  it("works through `pnpm btick` from the repository root with nothing else on stdout", async () => {
    const r = await run("pnpm", ["btick", "admin", "create-api-key", "--email", "ada@example.com", "--name", "via pnpm", "--scopes", "keys:read"], {
      DATABASE_URL: db.url,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^skd_[0-9a-f]{12}_[A-Za-z0-9_-]{32}\n$/);
    expect(await db.prisma.apiKey.count({ where: { name: "via pnpm" } })).toBe(1);
  });

  it("reports a bad DATABASE_URL in one line", async () => {
    const r = await run(process.execPath, [bin, "admin", "create-user", "--email", "x@example.com", "--password", "password1"], {
      DATABASE_URL: "mysql://nope",
    });
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: invalid environment variable DATABASE_URL: must be a postgres:// or postgresql:// URL\n",
    });
  });
});
