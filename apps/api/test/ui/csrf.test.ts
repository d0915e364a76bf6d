// CSRF: every state-changing UI request needs the token of its own session (form field or X-CSRF-Token header).
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { buildServer } from "../../src/server.ts";
import { UiClient, uniqueEmail } from "./client.ts";

let db: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildServer({ db: db.prisma });
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

async function signedIn(): Promise<UiClient> {
  const c = new UiClient(app);
  expect((await c.register(uniqueEmail("csrf"), "right password")).statusCode).toBe(303);
  await c.get("/ui/api-keys");
  return c;
}

describe("CSRF", () => {
  it("puts the session's token in every form and in hx-headers", async () => {
    const c = await signedIn();
    const page = await c.get("/ui/api-keys/new");
    expect(c.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.body).toContain(`name="_csrf" value="${c.csrf}"`);
    expect(page.body).toContain(`hx-headers="{&#34;X-CSRF-Token&#34;:&#34;${c.csrf}&#34;}"`);
  });

  it("rejects a missing or wrong token with a 403 page and changes nothing", async () => {
    const c = await signedIn();
    const form = { name: "should not exist", scopes: "jobs:read" };
    const missing = await c.post("/ui/api-keys", form, { csrf: false });
    const wrong = await c.post("/ui/api-keys", { ...form, _csrf: "A".repeat(43) });
    const wrongHeader = await c.post("/ui/api-keys", form, { csrf: false, headers: { "x-csrf-token": "nope" } });
    for (const res of [missing, wrong, wrongHeader]) {
      expect(res.statusCode).toBe(403);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.body).toContain("Forbidden");
    }
    expect(await db.prisma.apiKey.count({ where: { name: "should not exist" } })).toBe(0);
  });

  it("does not accept another session's token", async () => {
    const alice = await signedIn();
    const bob = await signedIn();
    const res = await alice.post("/ui/api-keys", { name: "cross", scopes: "jobs:read", _csrf: bob.csrf });
    expect(res.statusCode).toBe(403);
  });

  it("accepts the token as the X-CSRF-Token header (htmx)", async () => {
    const c = await signedIn();
    const res = await c.post("/ui/api-keys", { name: "via header", scopes: "jobs:read" }, { csrf: false, headers: { "x-csrf-token": c.csrf } });
    expect(res.statusCode).toBe(303);
  });

  it("protects the guest forms too (login CSRF) and logout", async () => {
    const guest = new UiClient(app);
    await guest.get("/login");
    const res = await guest.post("/login", { email: "a@example.test", password: "whatever1" }, { csrf: false });
    expect(res.statusCode).toBe(403);
    const c = await signedIn();
    expect((await c.post("/logout", {}, { csrf: false })).statusCode).toBe(403);
    expect((await c.get("/ui/account")).statusCode).toBe(200);
  });

  it("lets a stale tab sign out once its session has ended elsewhere, and still protects a live session", async () => {
    const c = await signedIn();
    await c.get("/ui/jobs");
    const staleToken = c.csrf;
    // The session ends elsewhere (sign-out in another tab, a password change, expiry).
    await db.prisma.session.deleteMany({});
    const res = await c.post("/logout", { _csrf: staleToken });
    expect([res.statusCode, res.headers.location]).toEqual([303, "/login"]);
    expect((await c.get("/ui/account")).statusCode).toBe(303);
    // With a live session the token is still required.
    const live = await signedIn();
    expect((await live.post("/logout", { _csrf: staleToken })).statusCode).toBe(403);
    expect((await live.get("/ui/account")).statusCode).toBe(200);
  });
});
