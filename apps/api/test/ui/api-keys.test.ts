// API key pages: list states, create (raw key shown once), revoke (htmx and plain), foreign ids → 404, XSS.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { addApiKey, createTenantWithKey } from "@btick/contract/testing";
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

async function signedIn(): Promise<{ client: UiClient; tenantId: string }> {
  const client = new UiClient(app);
  const email = uniqueEmail("keys");
  expect((await client.register(email, "right password")).statusCode).toBe(303);
  const user = await db.prisma.user.findUniqueOrThrow({ where: { email } });
  return { client, tenantId: user.tenantId };
}

describe("API key pages", () => {
  it("lists keys with Active, Expired and Revoked badges", async () => {
    const { client, tenantId } = await signedIn();
    await addApiKey(db.prisma, tenantId, ["jobs:read"], { name: "live key" });
    await addApiKey(db.prisma, tenantId, ["jobs:read"], { name: "old key", expiresAt: new Date(Date.now() - 60_000) });
    await addApiKey(db.prisma, tenantId, ["jobs:read"], { name: "dead key", revokedAt: new Date() });
    const res = await client.get("/ui/api-keys");
    expect(res.statusCode).toBe(200);
    const row = (name: string) => new RegExp(`<tr[^>]*>(?:(?!</tr>).)*${name}(?:(?!</tr>).)*</tr>`).exec(res.body)?.[0] ?? "";
    expect(row("live key")).toContain(">Active<");
    expect(row("old key")).toContain(">Expired<");
    expect(row("dead key")).toContain(">Revoked<");
    expect(row("live key")).toContain("Revoke</span></button>");
    expect(row("dead key")).not.toContain("Revoke</span></button>");
  });

  it("creates a key with the chosen scopes and expiry, showing the raw key once", async () => {
    const { client, tenantId } = await signedIn();
    const form = await client.get("/ui/api-keys/new");
    expect(form.body).toMatch(/name="scopes" value="jobs:read" checked/);
    expect(form.body).not.toMatch(/name="scopes" value="keys:write" checked/);

    // Post/Redirect/Get: the POST answers 303, the page it leads to shows the raw key once.
    const posted = await client.post("/ui/api-keys", { name: "deploy", scopes: ["jobs:read", "runs:read"], expires_in: "30" });
    expect([posted.statusCode, posted.headers.location]).toEqual([303, "/ui/api-keys/created"]);
    expect(posted.body).not.toMatch(/skd_/);
    // Until shown, the key waits in the session row, encrypted.
    const pending = await db.prisma.session.findMany({ where: { reveal: { not: null } } });
    expect(pending).toHaveLength(1);
    expect(pending[0]?.reveal).toMatch(/^v1:/);
    const res = await client.get("/ui/api-keys/created");
    expect(res.statusCode).toBe(200);
    const raw = /id="raw-key"[^>]*value="([^"]+)"/.exec(res.body)?.[1] ?? "";
    expect(raw).toMatch(/^skd_/);
    expect(pending[0]?.reveal).not.toContain(raw);
    expect(res.body).toContain('data-copy-target="raw-key"');
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(await db.prisma.session.count({ where: { reveal: { not: null } } })).toBe(0);
    // Reloading shows it no more and creates nothing.
    const reload = await client.get("/ui/api-keys/created");
    expect([reload.statusCode, reload.headers.location]).toEqual([303, "/ui/api-keys"]);
    const afterReload = await client.get("/ui/api-keys");
    expect(afterReload.body).toContain("shown only once");
    expect(await db.prisma.apiKey.count({ where: { tenantId, name: "deploy" } })).toBe(1);

    const key = await db.prisma.apiKey.findFirstOrThrow({ where: { tenantId, name: "deploy" } });
    expect(key.scopes).toEqual(["jobs:read", "runs:read"]);
    expect(Math.abs((key.expiresAt?.getTime() ?? 0) - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
    // The key works against the API...
    const api = await app.inject({ url: "/api/v1/api-keys", headers: { authorization: `Bearer ${raw}` } });
    expect(api.statusCode).toBe(403); // holds no keys:read
    const jobs = await app.inject({ url: "/api/v1/jobs", headers: { authorization: `Bearer ${raw}` } });
    expect(jobs.statusCode).toBe(200);
    // ...and is never shown again.
    const list = await client.get("/ui/api-keys");
    expect(list.body).toContain(key.keyPrefix);
    expect(list.body).not.toContain(raw);
  });

  it("re-renders the form with per-field messages", async () => {
    const { client } = await signedIn();
    const res = await client.post("/ui/api-keys", { name: "  ", expires_in: "" });
    expect(res.statusCode).toBe(422);
    expect(res.body).toMatch(/id="f-name-error"[^>]*>must not be empty</);
    expect(res.body).toMatch(/id="f-scopes-error"[^>]*>must contain at least one scope</);
  });

  it("revokes through htmx (row swapped) and without JavaScript (303 + notice)", async () => {
    const { client, tenantId } = await signedIn();
    const a = await addApiKey(db.prisma, tenantId, ["jobs:read"], { name: "htmx key" });
    const b = await addApiKey(db.prisma, tenantId, ["jobs:read"], { name: "plain key" });
    await client.get("/ui/api-keys");

    const htmx = await client.post(`/ui/api-keys/${a.keyId}/revoke`, {}, { headers: { "hx-request": "true" } });
    expect(htmx.statusCode).toBe(200);
    expect(htmx.body).toMatch(/^<tr data-row id="key-/);
    expect(htmx.body).toContain(">Revoked<");
    expect((await db.prisma.apiKey.findUniqueOrThrow({ where: { id: a.keyId } })).revokedAt).not.toBeNull();

    const plain = await client.post(`/ui/api-keys/${b.keyId}/revoke`);
    expect([plain.statusCode, plain.headers.location]).toEqual([303, "/ui/api-keys"]);
    const list = await client.get("/ui/api-keys");
    expect(list.body).toContain("Key &#34;plain key&#34; revoked.");
    expect((await app.inject({ url: "/api/v1/jobs", headers: { authorization: `Bearer ${b.rawKey}` } })).statusCode).toBe(401);
  });

  it("answers 404 pages for another tenant's key and for a malformed id, leaving the key alone", async () => {
    const { client } = await signedIn();
    const other = await createTenantWithKey(db.prisma);
    await client.get("/ui/api-keys");
    const res = await client.post(`/ui/api-keys/${other.keyId}/revoke`);
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain("Page not found");
    expect((await db.prisma.apiKey.findUniqueOrThrow({ where: { id: other.keyId } })).revokedAt).toBeNull();
    const htmx = await client.post(`/ui/api-keys/${other.keyId}/revoke`, {}, { headers: { "hx-request": "true" } });
    expect([htmx.statusCode, htmx.headers["hx-retarget"]]).toEqual([404, "#flash"]);
    expect((await client.post("/ui/api-keys/not-a-uuid/revoke")).statusCode).toBe(404);
  });

  it("renders user-controlled values inert (script tags and quotes are escaped)", async () => {
    const { client } = await signedIn();
    const evil = `"><script>alert('x')</script><img src=x onerror="alert(1)">`;
    expect((await client.post("/ui/api-keys", { name: evil, scopes: "jobs:read" })).statusCode).toBe(303);
    const created = await client.get("/ui/api-keys/created");
    expect(created.statusCode).toBe(200);
    const list = await client.get("/ui/api-keys");
    const confirmAttr = /hx-confirm="([^"]*)"/.exec(list.body)?.[1] ?? "";
    // Inside a double-quoted attribute only `"` matters (escaped as &#34;), so markup there is plain text; outside
    // attributes, `<` is escaped. With every attribute value blanked out, no injected element may remain.
    for (const body of [created.body, list.body]) {
      const outsideAttributes = body.replace(/="[^"]*"/g, '=""');
      expect(outsideAttributes).not.toContain("<script>alert");
      expect(outsideAttributes).not.toContain("<img");
      expect(body).toContain("&lt;script>alert(&#39;x&#39;)&lt;/script>");
    }
    expect(confirmAttr).toContain("&#34;&#34;>");
    expect(confirmAttr).not.toContain('"');
    // A bad value in a re-rendered form stays inside its attribute.
    const form = await client.post("/ui/api-keys", { name: evil, scopes: "nope" });
    expect(form.statusCode).toBe(422);
    expect(form.body).toContain('value="&#34;><script>alert(\'x\')</script><img src=x onerror=&#34;alert(1)&#34;>"');
    expect(form.body.replace(/="[^"]*"/g, '=""')).not.toMatch(/<script>alert|<img/);
  });
});
