// Interactive API docs at /docs: rendered by the server, every asset served locally (no CDN), linked from the
// API root (GET /api/v1).
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { buildServer } from "../src/server.ts";

let db: TestDatabase;
let app: Awaited<ReturnType<typeof buildServer>>;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildServer({ db: db.prisma });
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

/** Every URL an HTML page loads or links: src/href attributes and url(...) in inline styles. */
function referencedUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/gi), ...html.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/gi)].map((m) => m[1] ?? "");
}

describe("GET /docs", () => {
  it("redirects /docs to /docs/ and renders the API reference for our document", async () => {
    const redirect = await app.inject({ url: "/docs" });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe("/docs/");
    const res = await app.inject({ url: "/docs/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain("BTick API reference");
    // No inline script (the CSP allows only the server's own files): the configuration is in /docs/init.js.
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const init = await app.inject({ url: "/docs/init.js" });
    expect(init.headers["content-type"]).toMatch(/javascript/);
    expect(init.body).toContain('"url": "/api/v1/openapi.json"');
    expect(init.body).toContain('"withDefaultFonts": false');
  });

  it("references only local assets, and serves them", async () => {
    const html = (await app.inject({ url: "/docs/" })).body;
    const urls = referencedUrls(html);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(url, url).not.toMatch(/^(?:[a-z]+:)?\/\//i);
      const asset = await app.inject({ url: new URL(url, "http://local/docs/").pathname });
      expect(asset.statusCode, url).toBe(200);
    }
    const js = await app.inject({ url: "/docs/js/scalar.js" });
    expect(js.headers["content-type"]).toMatch(/javascript/);
    expect(js.body.length).toBeGreaterThan(100_000);
    expect(js.body).toContain("createApiReference");
  });

  it("is linked from the API root", async () => {
    const res = await app.inject({ url: "/api/v1" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      name: "BTick API",
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      docs: "/docs",
      openapi: "/api/v1/openapi.json",
      health: "/api/v1/health",
    });
    expect(res.headers.link).toContain('</docs>; rel="service-doc"');
  });
});
