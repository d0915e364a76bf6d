// Where the UI sends the browser: return targets after row actions and the page to go back to after sign-in are
// same-site /ui paths only, never a header injection or another site.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createUser } from "@btick/contract/users";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { buildServer } from "../../src/server.ts";
import { UiClient, uniqueEmail } from "./client.ts";

let db: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase("btick_ui_redirects");
  app = await buildServer({ db: db.prisma });
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

const HOSTILE = [
  "/ui/jobs\r\nSet-Cookie: pwn=1",
  "/ui/jobs\nX: 1",
  "/ui/jobs/\u00fc",
  "/ui/jobs/\u20ac",
  "//evil.example/ui/",
  "/ui/../..//evil.example",
  "https://evil.example/ui/jobs",
  "/\\evil.example",
  "/login",
];

async function signedIn(): Promise<UiClient> {
  const client = new UiClient(app);
  expect((await client.register(uniqueEmail("redir"), "right password")).statusCode).toBe(303);
  return client;
}

describe("return targets of row actions", () => {
  it("fall back to the job page for anything but a plain /ui path, never failing", async () => {
    const client = await signedIn();
    await client.get("/ui/jobs/new");
    const created = await client.post("/ui/jobs", { name: "r", method: "POST", url: "https://example.com/h", cron_expression: "0 3 * * *", timezone: "UTC", enabled: "true" });
    const id = String(created.headers.location).split("/").pop() ?? "";
    await client.get("/ui/jobs");
    for (const [i, evil] of HOSTILE.entries()) {
      const res = await client.post(`/ui/jobs/${id}/${i % 2 === 0 ? "pause" : "resume"}`, { return_to: evil });
      expect(res.statusCode, JSON.stringify(evil)).toBe(303);
      expect(res.headers.location, JSON.stringify(evil)).toBe(`/ui/jobs/${id}`);
      expect(res.headers["set-cookie"] ?? "").not.toContain("pwn");
    }
    const ok = await client.post(`/ui/jobs/${id}/pause`, { return_to: "/ui/jobs?q=r+x&status=paused" });
    expect(ok.headers.location).toBe("/ui/jobs?q=r+x&status=paused");
  });
});

describe("deep links through sign-in", () => {
  it("sends a guest to /login with the requested page as `next`, and back there after signing in", async () => {
    const email = uniqueEmail("deep");
    await createUser(db.prisma, { email, password: "right password" });
    const guest = new UiClient(app);
    const target = "/ui/jobs/00000000-0000-4000-8000-000000000000/runs?status=failed";
    const res = await guest.get(target);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(target)}`);
    const login = await guest.get(String(res.headers.location));
    expect(login.body).toContain(`name="next" value="${target.replace(/&/g, "&amp;")}"`);
    const signedIn = await guest.post("/login", { email, password: "right password", next: target });
    expect([signedIn.statusCode, signedIn.headers.location]).toEqual([303, target]);
    // Signed in already: /login?next=… goes straight there.
    const again = await guest.get(`/login?next=${encodeURIComponent("/ui/api-keys")}`);
    expect([again.statusCode, again.headers.location]).toEqual([303, "/ui/api-keys"]);
  });

  it("uses the page the htmx request came from, and ignores unsafe targets", async () => {
    const guest = new UiClient(app);
    const htmx = await guest.get("/ui/jobs/schedule-preview?cron_expression=x", {
      "hx-request": "true",
      "hx-current-url": "http://localhost:8080/ui/jobs/new?from=list",
    });
    expect(htmx.statusCode).toBe(401);
    expect(htmx.headers["hx-redirect"]).toBe(`/login?next=${encodeURIComponent("/ui/jobs/new?from=list")}`);

    const email = uniqueEmail("deep-evil");
    await createUser(db.prisma, { email, password: "right password" });
    for (const evil of HOSTILE) {
      const c = new UiClient(app);
      const page = await c.get(`/login?next=${encodeURIComponent(evil)}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('name="next" value="/ui/jobs"');
      const res = await c.post("/login", { email, password: "right password", next: evil });
      expect([res.statusCode, res.headers.location], JSON.stringify(evil)).toEqual([303, "/ui/jobs"]);
    }
  });
});
