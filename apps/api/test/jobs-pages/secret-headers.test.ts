// Secret headers in the UI follow the server's SECRET_HEADER_PATTERNS, the same rule that decides what is encrypted:
// exactly those values are hidden, the form's hint lists the configured patterns, and the edit form explains ***.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createSecretsOptions } from "@btick/contract";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { createKeyring, DEFAULT_SECRET_HEADER_PATTERNS, DEVELOPMENT_KEY } from "@btick/secrets";

import { buildServer } from "../../src/server.ts";
import { UiClient, uniqueEmail } from "../ui/client.ts";

let db: TestDatabase;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  db = await createTestDatabase("btick_ui_secret_headers");
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await db.drop();
});

async function server(patterns?: readonly string[]): Promise<FastifyInstance> {
  const app = await buildServer({ db: db.prisma, secrets: createSecretsOptions({ keyring: createKeyring(DEVELOPMENT_KEY), patterns }) });
  apps.push(app);
  return app;
}

/** Creates a job with the given headers through the form; returns the client and the job id. */
async function jobWithHeaders(app: FastifyInstance, headers: Record<string, string>): Promise<{ client: UiClient; id: string }> {
  const client = new UiClient(app);
  expect((await client.register(uniqueEmail("secret-headers"), "right password")).statusCode).toBe(303);
  await client.get("/ui/jobs/new");
  const res = await client.post("/ui/jobs", {
    name: "h",
    method: "POST",
    url: "https://example.com/hook",
    header_name: Object.keys(headers),
    header_value: Object.values(headers),
    cron_expression: "0 3 * * *",
    timezone: "UTC",
    enabled: "true",
  });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  return { client, id: String(res.headers.location).split("/").pop() ?? "" };
}

/** The configuration's header list items: name → shown value. */
function shownHeaders(html: string): Record<string, string> {
  const section = /id="configuration"[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";
  const out: Record<string, string> = {};
  for (const m of section.matchAll(/<li class="break-all"><span class="font-semibold">([^<]+)<\/span>:\s*<span[^>]*>([^<]*)<\/span>/g)) {
    out[m[1] ?? ""] = m[2] ?? "";
  }
  return out;
}

describe("secret headers in the UI", () => {
  it("hide exactly the values the server encrypts, and the hint lists the default patterns", async () => {
    const app = await server();
    const { client, id } = await jobWithHeaders(app, {
      "X-Db-Password": "pw-value",
      "Proxy-Authorization": "Basic proxy-value",
      apikey: "apikey-value",
      "X-Region": "plain-region",
      "X-Trace": "trace-value",
    });
    const page = await client.get(`/ui/jobs/${id}`);
    expect(shownHeaders(page.body)).toEqual({
      "X-Db-Password": "***",
      "Proxy-Authorization": "***",
      apikey: "***",
      "X-Region": "plain-region",
      "X-Trace": "trace-value",
    });
    expect(page.body).not.toContain("pw-value");
    expect(page.body).not.toContain("apikey-value");
    expect(page.body).not.toContain("proxy-value");

    const form = await client.get(`/ui/jobs/${id}/edit`);
    const hint = /id="headers-hint"[^>]*>([^<]*)</.exec(form.body)?.[1] ?? "";
    for (const p of DEFAULT_SECRET_HEADER_PATTERNS) expect(hint).toContain(p);
    // The stored secret comes back as *** with an explanation tied to its input.
    const pwRow = /<li[^>]*>(?:(?!<\/li>)[\s\S])*value="X-Db-Password"(?:(?!<\/li>)[\s\S])*<\/li>/.exec(form.body)?.[0] ?? "";
    expect(pwRow).toContain('value="***"');
    expect(pwRow).toMatch(/leave \*\*\* to keep/i);
    expect(pwRow).toMatch(/aria-describedby="h-\d+-kept"/);
    const regionRow = /<li[^>]*>(?:(?!<\/li>)[\s\S])*value="X-Region"(?:(?!<\/li>)[\s\S])*<\/li>/.exec(form.body)?.[0] ?? "";
    expect(regionRow).toContain('value="plain-region"');
    expect(regionRow).not.toMatch(/leave \*\*\* to keep/i);
  });

  it("follow a configured SECRET_HEADER_PATTERNS", async () => {
    const app = await server(["X-Custom-*"]);
    const { client, id } = await jobWithHeaders(app, { "X-Custom-Thing": "hidden-value", Authorization: "Bearer shown-now" });
    const page = await client.get(`/ui/jobs/${id}`);
    expect(shownHeaders(page.body)).toEqual({ "X-Custom-Thing": "***", Authorization: "Bearer shown-now" });
    const form = await client.get("/ui/jobs/new");
    const hint = /id="headers-hint"[^>]*>([^<]*)</.exec(form.body)?.[1] ?? "";
    expect(hint).toContain("X-Custom-*");
    expect(hint).not.toContain("Authorization");
  });
});
