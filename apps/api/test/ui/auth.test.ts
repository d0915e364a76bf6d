// Web UI accounts and sessions: registration, sign-in, cookie flags, server-side revocation and expiry,
// password change, guards and sign-in throttling.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createUser } from "@btick/contract/users";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { hashToken, SESSION_COOKIE } from "../../src/plugins/session.ts";
import { buildServer } from "../../src/server.ts";
import { LOGIN_FAILED, REGISTER_FAILED } from "../../src/ui/pages/auth.tsx";
import { parseSetCookies, UiClient, uniqueEmail } from "./client.ts";

let db: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildServer({ db: db.prisma, ui: { sessionTtlHours: 2 } });
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

/** The raw session token in the client's cookie jar (the signed cookie is `token.signature`). */
function rawToken(client: UiClient): string {
  const v = client.cookies.get(SESSION_COOKIE);
  if (!v) throw new Error("no session cookie");
  return decodeURIComponent(v).split(".")[0] ?? "";
}

describe("registration", () => {
  it("creates the account, signs in and lands on /ui/jobs", async () => {
    const client = new UiClient(app);
    const email = uniqueEmail("reg");
    const res = await client.register(`  ${email.toUpperCase()} `, "correct horse");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/ui/jobs");
    const user = await db.prisma.user.findUnique({ where: { email } });
    expect(user?.passwordHash).toMatch(/^\$argon2id\$/);
    const account = await client.get("/ui/account");
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain(email);
  });

  it("shows per-field messages for a bad email or short password", async () => {
    const client = new UiClient(app);
    const bad = await client.register("not-an-email", "correct horse");
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("Email is not a valid email address.");
    const short = await client.register(uniqueEmail(), "1234567");
    expect(short.statusCode).toBe(422);
    expect(short.body).toContain("Password must be at least 8 characters.");
    expect(short.body).toMatch(/aria-invalid="true"/);
  });

  it("does not reveal that an email is registered, and leaves that account untouched", async () => {
    const email = uniqueEmail("taken");
    await createUser(db.prisma, { email, password: "original password" });
    const before = await db.prisma.user.findUniqueOrThrow({ where: { email } });

    const client = new UiClient(app);
    const res = await client.register(email, "another password");
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(REGISTER_FAILED.replace("'", "&#39;"));
    expect(res.body).not.toMatch(/already (exists|registered|taken|in use)|is (taken|registered)|in use/i);
    expect(res.body).not.toContain("aria-invalid");
    expect(parseSetCookies(res).some((c) => c.name === SESSION_COOKIE)).toBe(false);
    const after = await db.prisma.user.findUniqueOrThrow({ where: { email } });
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(await db.prisma.session.count({ where: { userId: before.id } })).toBe(0);
  });
});

describe("sign-in and sessions", () => {
  it("answers every failure with the same generic message", async () => {
    const email = uniqueEmail("login");
    await createUser(db.prisma, { email, password: "right password" });
    const client = new UiClient(app);
    const wrong = await client.login(email, "wrong password");
    const unknown = await client.login(uniqueEmail("nobody"), "right password");
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain(LOGIN_FAILED);
      expect(parseSetCookies(res).some((c) => c.name === SESSION_COOKIE)).toBe(false);
    }
  });

  it("sets an HttpOnly, SameSite=Lax session cookie for the configured lifetime, storing only the token's hash", async () => {
    const email = uniqueEmail("cookie");
    const { userId } = await createUser(db.prisma, { email, password: "right password" });
    const client = new UiClient(app);
    const res = await client.login(email, "right password");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/ui/jobs");
    const cookie = parseSetCookies(res).find((c) => c.name === SESSION_COOKIE);
    expect(cookie?.attributes.httponly).toBe(true);
    expect(cookie?.attributes.samesite).toBe("Lax");
    expect(cookie?.attributes.path).toBe("/");
    expect(cookie?.attributes.secure).toBeUndefined();
    const expires = Date.parse(String(cookie?.attributes.expires));
    expect(Math.abs(expires - (Date.now() + 2 * 3_600_000))).toBeLessThan(60_000);

    const token = rawToken(client);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await db.prisma.session.findMany({ where: { userId } });
    expect(rows.map((r) => r.id)).toEqual([hashToken(token)]);
    expect(rows[0]?.id).not.toContain(token);
  });

  it("marks the cookie Secure only when the request is https (X-Forwarded-Proto trusted only with TRUST_PROXY)", async () => {
    const email = uniqueEmail("secure");
    await createUser(db.prisma, { email, password: "right password" });
    const proxied = await buildServer({ db: db.prisma, trustProxy: true });
    try {
      const viaProxy = new UiClient(proxied);
      await viaProxy.get("/login");
      const res = await viaProxy.post("/login", { email, password: "right password" }, { headers: { "x-forwarded-proto": "https" } });
      expect(parseSetCookies(res).find((c) => c.name === SESSION_COOKIE)?.attributes.secure).toBe(true);
    } finally {
      await proxied.close();
    }
    const direct = new UiClient(app);
    await direct.get("/login");
    const res = await direct.post("/login", { email, password: "right password" }, { headers: { "x-forwarded-proto": "https" } });
    expect(res.statusCode).toBe(303);
    expect(parseSetCookies(res).find((c) => c.name === SESSION_COOKIE)?.attributes.secure).toBeUndefined();
  });

  it("rejects a forged (unsigned) cookie and an unknown token", async () => {
    const forged = new UiClient(app);
    forged.cookies.set(SESSION_COOKIE, "A".repeat(43));
    expect((await forged.get("/ui/account")).statusCode).toBe(303);
  });

  it("logout deletes the session server-side: the old cookie no longer works", async () => {
    const email = uniqueEmail("logout");
    const { userId } = await createUser(db.prisma, { email, password: "right password" });
    const client = new UiClient(app);
    await client.login(email, "right password");
    const stolen = client.cookies.get(SESSION_COOKIE) ?? "";
    expect((await client.get("/ui/account")).statusCode).toBe(200);

    const out = await client.post("/logout");
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe("/login");
    expect(await db.prisma.session.count({ where: { userId } })).toBe(0);

    const replay = new UiClient(app);
    replay.cookies.set(SESSION_COOKIE, stolen);
    const res = await replay.get("/ui/account");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent("/ui/account")}`);
  });

  it("rejects an expired session and deletes its row", async () => {
    const email = uniqueEmail("expired");
    const { userId } = await createUser(db.prisma, { email, password: "right password" });
    const client = new UiClient(app);
    await client.login(email, "right password");
    expect((await client.get("/ui/account")).statusCode).toBe(200);
    await db.prisma.session.updateMany({ where: { userId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await client.get("/ui/account");
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent("/ui/account")}`);
    expect(await db.prisma.session.count({ where: { userId } })).toBe(0);
  });

  it("password change ends every session of the user and keeps this browser signed in", async () => {
    const email = uniqueEmail("pw");
    const { userId } = await createUser(db.prisma, { email, password: "old password" });
    const laptop = new UiClient(app);
    const phone = new UiClient(app);
    await laptop.login(email, "old password");
    await phone.login(email, "old password");

    const wrong = await laptop.post("/ui/account/password", { current_password: "nope nope", new_password: "new password" });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain("Current password is incorrect.");

    const res = await laptop.follow(await laptop.post("/ui/account/password", { current_password: "old password", new_password: "new password" }));
    expect(res.statusCode).toBe(303);
    expect((await laptop.get("/ui/account")).statusCode).toBe(200);
    expect((await phone.get("/ui/account")).statusCode).toBe(303);
    expect(await db.prisma.session.count({ where: { userId } })).toBe(1);
    expect((await new UiClient(app).login(email, "old password")).statusCode).toBe(401);
    expect((await new UiClient(app).login(email, "new password")).statusCode).toBe(303);
  });
});

describe("password change throttling", () => {
  it("refuses further attempts after 10 in the window", async () => {
    const email = uniqueEmail("pw-throttle");
    await createUser(db.prisma, { email, password: "old password" });
    const c = new UiClient(app);
    await c.login(email, "old password");
    for (let i = 0; i < 10; i++) {
      expect((await c.post("/ui/account/password", { current_password: `guess ${i}`, new_password: "new password" })).statusCode).toBe(422);
    }
    const res = await c.post("/ui/account/password", { current_password: "old password", new_password: "new password" });
    expect(res.statusCode).toBe(429);
    expect((await new UiClient(app).login(email, "new password")).statusCode).toBe(401);
  });
});

describe("guards", () => {
  it("redirects guests from /ui pages to /login, and htmx requests get 401 with HX-Redirect", async () => {
    const guest = new UiClient(app);
    const page = await guest.get("/ui/api-keys");
    expect([page.statusCode, page.headers.location]).toEqual([303, `/login?next=${encodeURIComponent("/ui/api-keys")}`]);
    const htmx = await guest.get("/ui/api-keys", { "hx-request": "true" });
    expect([htmx.statusCode, htmx.headers["hx-redirect"]]).toEqual([401, "/login"]);
  });

  it("sends signed-in users away from /login and /register", async () => {
    const client = new UiClient(app);
    await client.register(uniqueEmail("guest-only"), "right password");
    for (const url of ["/login", "/register"]) {
      const res = await client.get(url);
      expect([res.statusCode, res.headers.location]).toEqual([303, "/ui/jobs"]);
    }
  });
});

describe("sign-in throttling", () => {
  it("limits attempts per account (from any IP) and per IP (across accounts)", async () => {
    const throttled = await buildServer({ db: db.prisma, trustProxy: true, ui: { throttle: { loginPerAccount: 3, loginPerIp: 5 } } });
    try {
      const email = uniqueEmail("throttle");
      await createUser(db.prisma, { email, password: "right password" });
      const attempt = async (ip: string, who: string, password: string) => {
        const c = new UiClient(throttled);
        await c.get("/login");
        return c.post("/login", { email: who, password }, { headers: { "x-forwarded-for": ip } });
      };
      // Per account: three attempts from three IPs, then even the right password is refused for a while.
      expect((await attempt("10.0.0.1", email, "wrong")).statusCode).toBe(401);
      expect((await attempt("10.0.0.2", email, "wrong")).statusCode).toBe(401);
      expect((await attempt("10.0.0.3", email, "wrong")).statusCode).toBe(401);
      const locked = await attempt("10.0.0.4", email, "right password");
      expect(locked.statusCode).toBe(429);
      expect(locked.headers["content-type"]).toMatch(/^text\/html/);
      expect(locked.body).toContain("Too many attempts");
      expect(parseSetCookies(locked).some((c) => c.name === SESSION_COOKIE)).toBe(false);

      // Per IP: five attempts for different accounts, the sixth is refused.
      for (let i = 0; i < 5; i++) expect((await attempt("10.0.0.9", uniqueEmail("spray"), "x")).statusCode).toBe(401);
      expect((await attempt("10.0.0.9", uniqueEmail("spray"), "x")).statusCode).toBe(429);
      // Another IP and another account are unaffected.
      expect((await attempt("10.0.0.10", uniqueEmail("spray"), "x")).statusCode).toBe(401);
    } finally {
      await throttled.close();
    }
  });
});
