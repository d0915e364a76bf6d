// Landing page, static assets, HTML error pages and security headers.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Db } from "@btick/db";
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

describe("landing page", () => {
  it("offers sign-in and registration to guests, and the dashboard to signed-in users", async () => {
    const guest = await new UiClient(app).get("/");
    expect(guest.statusCode).toBe(200);
    expect(guest.headers["content-type"]).toMatch(/^text\/html/);
    expect(guest.body).toMatch(/^<!doctype html>/i);
    expect(guest.body).toContain('href="/register"');
    expect(guest.body).toContain('href="/login"');
    expect(guest.body).not.toContain("Sign out");

    const user = new UiClient(app);
    await user.register(uniqueEmail("home"), "right password");
    const signedIn = await user.get("/");
    expect(signedIn.body).toContain('href="/ui/jobs/new"');
    expect(signedIn.body).toContain("Sign out");
    expect(signedIn.body).not.toContain('href="/register"');
  });

  it("links local assets only (no CDN or external fonts) and sends security headers", async () => {
    const res = await new UiClient(app).get("/");
    const urls = [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(urls.filter((u) => /^(https?:)?\/\//.test(u))).toEqual([]);
    expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["cache-control"]).toBe("no-store");
  });
});

describe("assets", () => {
  it("serves htmx, ui.js and the stylesheet with long cache headers", async () => {
    const htmx = await app.inject({ url: "/assets/htmx.min.js" });
    expect(htmx.statusCode).toBe(200);
    expect(htmx.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(htmx.headers["cache-control"]).toContain("max-age=31536000");
    expect(htmx.body).toContain("htmx");
    const js = await app.inject({ url: "/assets/ui.js" });
    expect(js.body).toContain("data-copy-target");
    const css = await app.inject({ url: "/assets/app.css" });
    expect(css.statusCode).toBe(200);
    expect(css.headers["content-type"]).toMatch(/^text\/css/);
    // Either the built stylesheet or (no build yet) an empty one that says how to build it.
    expect(css.body.includes("tailwindcss") || css.body.includes("app.css not built")).toBe(true);
  });
});

describe("error pages", () => {
  it("renders a 404 page for unknown /ui paths, with the signed-in layout", async () => {
    const c = new UiClient(app);
    await c.register(uniqueEmail("nf"), "right password");
    const res = await c.get("/ui/no-such-page");
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain("Page not found");
    expect(res.body).toContain("Sign out");
  });

  it("renders the 404 page for unknown paths opened in a browser, and keeps the JSON envelope under /api/v1", async () => {
    const browser = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
    const page = await app.inject({ url: "/no-such-page", headers: browser });
    expect(page.statusCode).toBe(404);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toMatch(/^<!doctype html>/);
    expect(page.body).toContain("Page not found");
    const plain = await app.inject({ url: "/no-such-page" });
    expect(plain.json()).toEqual({ status: 404, error: { error_code: "NOT_FOUND", error_message: "not found" } });
    for (const url of ["/api/v1/nope", "/trpc/nope/x"]) {
      const res = await app.inject({ url, headers: browser });
      expect(res.statusCode).toBe(404);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
    }
  });

  it("renders a generic 500 page without the error's detail or a stack trace", async () => {
    const failing = new Proxy(db.prisma, {
      get(target, prop, receiver) {
        if (prop === "$queryRaw" || prop === "$queryRawUnsafe") return () => Promise.reject(new Error("secret database detail"));
        if (prop === "apiKey") {
          return new Proxy(target.apiKey, {
            get(s, p, r) {
              if (p === "findMany") return () => Promise.reject(new Error("secret database detail"));
              return Reflect.get(s, p, r) as unknown;
            },
          });
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as Db;
    const broken = await buildServer({ db: failing });
    try {
      const user = new UiClient(app);
      await user.register(uniqueEmail("boom"), "right password");
      const res = await broken.inject({ url: "/ui/api-keys", headers: { cookie: user.cookieHeader() } });
      expect(res.statusCode).toBe(500);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.body).toContain("Something went wrong");
      expect(res.body).not.toContain("secret database detail");
      expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    } finally {
      await broken.close();
    }
  });
});

describe("errors under / and /ui are HTML pages", () => {
  it("answers a wrong method on a UI path with an HTML 405 page (Allow kept), and the API with the envelope", async () => {
    for (const [method, url] of [
      ["PUT", "/login"],
      ["DELETE", "/"],
      ["PATCH", "/register"],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode, url).toBe(405);
      expect(res.headers["content-type"], url).toMatch(/^text\/html/);
      expect(res.body).toContain("Method not allowed");
      expect(res.headers.allow).toBeDefined();
    }
    const api = await app.inject({ method: "PUT", url: "/api/v1/jobs" });
    expect(api.statusCode).toBe(405);
    expect(api.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("offers the sign-out button on GET /logout (and sends guests to /login)", async () => {
    const guest = await new UiClient(app).get("/logout");
    expect([guest.statusCode, guest.headers.location]).toEqual([303, "/login"]);
    const c = new UiClient(app);
    await c.register(uniqueEmail("getlogout"), "right password");
    const page = await c.get("/logout");
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<form method="post" action="\/logout"/);
    expect((await c.get("/ui/account")).statusCode).toBe(200);
  });

  it("answers malformed percent-encoding with an HTML 400 page under / and /ui, JSON under /api/v1", async () => {
    const browser = { accept: "text/html,*/*;q=0.8" };
    for (const [url, headers] of [
      ["/ui/%E0%A4%A", {}],
      ["/ui/jobs/%E0%A4%A", {}],
      ["/nope%E0%A4%A", browser],
    ] as const) {
      const res = await app.inject({ url, headers });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers["content-type"], url).toMatch(/^text\/html/);
      expect(res.body).toContain("Bad request");
    }
    const api = await app.inject({ url: "/api/v1/jobs/%E0%A4%A" });
    expect(api.statusCode).toBe(400);
    expect(api.json()).toEqual({ status: 400, error: { error_code: "INVALID_REQUEST", error_message: "malformed URL" } });
  });
});
