// Answers that are not a procedure's error: what the server raises before a procedure runs (rate limit, body or
// headers too large, wrong content type) and what a proxy in front of it sends (an HTML error page). The SDK keeps
// the real HTTP status, the API's error code and message, and Retry-After.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { BTick, BTickError, type FetchLike } from "../src/index.ts";
import { addApiKey } from "@btick/contract/testing";
import { errorEnvelope } from "@btick/contract";

import { startLiveServer, type LiveServer } from "./live.ts";

const RATE_LIMIT = 3;
let server: LiveServer;
let proxy: { url: string; server: Server; respond: (req: IncomingMessage, res: ServerResponse) => void };

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => {
      if (!(e instanceof BTickError)) throw e;
      return e;
    },
  );

/** A client with a fresh key (the rate limit counts per key) that counts its requests. */
async function freshClient(extra: { headers?: Record<string, string>; fetch?: FetchLike } = {}) {
  const key = await addApiKey(server.db.prisma, server.principal.tenantId, ["jobs:read", "jobs:write"]);
  const counter = { calls: 0 };
  const base = extra.fetch ?? ((input, init) => fetch(input, init));
  const client = new BTick({
    baseUrl: server.baseUrl,
    apiKey: key.rawKey,
    ...(extra.headers ? { headers: extra.headers } : {}),
    fetch: (input, init) => {
      counter.calls++;
      return base(input, init);
    },
  });
  return { client, counter };
}

beforeAll(async () => {
  // As `API_RATE_LIMIT_PER_MINUTE=3` makes main.ts configure it.
  server = await startLiveServer({ security: { rateLimitPerMinute: RATE_LIMIT, authFailuresPerMinute: 0 } });
  const p = createServer((req, res) => proxy.respond(req, res));
  await new Promise<void>((resolve) => p.listen(0, "127.0.0.1", resolve));
  proxy = { url: `http://127.0.0.1:${(p.address() as AddressInfo).port}`, server: p, respond: (_req, res) => res.end() };
});
afterAll(async () => {
  proxy?.server.closeAllConnections();
  await new Promise((resolve) => proxy?.server.close(resolve));
  await server?.close();
});

describe("errors raised before a procedure runs", () => {
  it("429: the API's code and message, the real status and Retry-After; reads are not retried", async () => {
    const { client, counter } = await freshClient();
    for (let i = 0; i < RATE_LIMIT; i++) await client.jobs.list();
    const err = await rejection(client.jobs.list());
    expect(err).toMatchObject({ status: 429, error_code: "TOO_MANY_REQUESTS", procedure: "jobs.list", validation: [], isNetworkError: false });
    expect(err.message).toMatch(new RegExp(`^rate limit exceeded: at most ${RATE_LIMIT} requests per minute; retry in \\d+ seconds$`));
    expect(err.retryAfterSeconds).toBeGreaterThan(0);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(counter.calls).toBe(RATE_LIMIT + 1);
  });

  it("413: a body over the server's limit", async () => {
    const { client } = await freshClient();
    const err = await rejection(
      client.jobs.create({ name: "big", method: "POST", url: "https://example.com/big", cron_expression: "0 * * * *", body: "x".repeat(1_100_000) }),
    );
    expect(err).toMatchObject({ status: 413, error_code: "PAYLOAD_TOO_LARGE", message: "request body too large (limit 1 MiB)", procedure: "jobs.create" });
    expect(err.retryAfterSeconds).toBeUndefined();
  });

  it("431: headers over the server's limit keep their status and message", async () => {
    const { client } = await freshClient({ headers: { "x-padding": "a".repeat(20_000) } });
    const err = await rejection(client.jobs.list());
    expect(err).toMatchObject({ status: 431, error_code: "REQUEST_HEADER_FIELDS_TOO_LARGE" });
    expect(err.message).toMatch(/^request headers too large: /);
  });

  it("415: a body that is not JSON", async () => {
    const { client } = await freshClient({
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, "content-type": "text/plain" } }),
    });
    const err = await rejection(client.jobs.create({ name: "n", method: "POST", url: "https://example.com/", cron_expression: "0 * * * *" }));
    expect(err).toMatchObject({ status: 415, error_code: "UNSUPPORTED_MEDIA_TYPE" });
    expect(err.message).toMatch(/^unsupported content type "text\/plain": send the body as JSON/);
  });
});

describe("answers from something other than the API", () => {
  const viaProxy = () => new BTick({ baseUrl: proxy.url, apiKey: "skd_000000000000_notarealsecretnotarealsecret12", retries: 2 });

  it("an HTML 502 keeps its status (not a network error) and is not retried", async () => {
    let calls = 0;
    proxy.respond = (_req, res) => {
      calls++;
      res.writeHead(502, { "content-type": "text/html" }).end("<html><body><h1>502 Bad Gateway</h1></body></html>");
    };
    const err = await rejection(viaProxy().jobs.list());
    expect(err).toMatchObject({ status: 502, error_code: "BAD_GATEWAY", message: "jobs.list: HTTP 502 Bad Gateway (not a JSON answer)", isNetworkError: false });
    expect(calls).toBe(1);
  });

  it("a 503 with Retry-After (seconds or an HTTP date)", async () => {
    proxy.respond = (_req, res) => res.writeHead(503, { "content-type": "text/plain", "retry-after": "120" }).end("try later");
    expect(await rejection(viaProxy().jobs.get({ jobId: "00000000-0000-4000-8000-000000000000" }))).toMatchObject({
      status: 503,
      error_code: "SERVICE_UNAVAILABLE",
      retryAfterSeconds: 120,
    });
    const at = new Date(Date.now() + 90_000).toUTCString();
    proxy.respond = (_req, res) => res.writeHead(503, { "retry-after": at }).end();
    const err = await rejection(viaProxy().jobs.list());
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(88);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(91);
  });

  it("an envelope sent as the whole body, with the API's catch-all code on a client error replaced by the status's", async () => {
    proxy.respond = (_req, res) => res.writeHead(431, { "content-type": "application/json" }).end(JSON.stringify(errorEnvelope(431, "request headers too large")));
    expect(await rejection(viaProxy().jobs.list())).toMatchObject({
      status: 431,
      error_code: "REQUEST_HEADER_FIELDS_TOO_LARGE",
      message: "request headers too large",
    });
  });

  it("a 200 that is not a tRPC result (baseUrl pointing at another server)", async () => {
    proxy.respond = (_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>welcome</title>");
    const err = await rejection(viaProxy().jobs.list());
    expect(err).toMatchObject({ status: 200, error_code: "INVALID_RESPONSE" });
    expect(err.message).toBe("jobs.list: unexpected answer (HTTP 200 OK, not JSON); is baseUrl the BTick API?");
  });
});
