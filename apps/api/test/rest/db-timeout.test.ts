// A database that stops answering yields 503 SERVICE_UNAVAILABLE instead of a request that hangs: a statement stuck
// behind a lock held by another session is cancelled by the server (statement_timeout), and a database whose
// process is frozen (simulated by a TCP proxy that stops relaying, as SIGSTOP would) is given up on by the client.
import { createRequire } from "node:module";
import { connect, createServer, type Server, type Socket } from "node:net";

import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createPrismaClient, type Db } from "@btick/db";

import { buildServer } from "../../src/server.ts";

import { call, createJob, expectError, setup, type Harness, type Principal } from "./harness.ts";

const TIMEOUT_MESSAGE = "service unavailable: the database did not answer in time; retry later";
const QUERY_TIMEOUT_MS = 500;

let h: Harness;
let p: Principal;

beforeAll(async () => {
  h = await setup();
  p = await h.tenant();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
}
const pg = createRequire(import.meta.resolve("@btick/db"))("pg") as { Client: new (opts: { connectionString: string }) => PgClient };

async function serverOn(db: Db): Promise<FastifyInstance> {
  const app = await buildServer({ db });
  await app.ready();
  return app;
}

describe("a statement stuck behind another session's lock", () => {
  it("is cancelled after DATABASE_QUERY_TIMEOUT_MS and answered 503; the next request works", async () => {
    const job = await createJob(h.app, p.rawKey, { name: "locked" });
    const db = createPrismaClient({ connectionString: h.url, max: 2, queryTimeoutMs: QUERY_TIMEOUT_MS });
    const app = await serverOn(db);
    const holder = new pg.Client({ connectionString: h.url });
    await holder.connect();
    try {
      await holder.query("begin");
      await holder.query("select id from jobs where id = $1 for update", [job.id]);
      const stuck = await call(app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, body: { name: "renamed" } });
      expectError(stuck, 503, TIMEOUT_MESSAGE);
      expect(stuck.body).not.toMatch(/57014|statement timeout|prisma/i);
      // Reads do not wait for row locks.
      expect((await call(app, "GET", `/jobs/${job.id}`, { key: p.rawKey })).statusCode).toBe(200);
    } finally {
      await holder.query("rollback");
      await holder.end();
    }
    const after = await call(app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, body: { name: "renamed" } });
    expect(after.statusCode, after.body).toBe(200);
    await app.close();
    await db.$disconnect();
  }, 20_000);
});

/** A TCP relay to the test PostgreSQL server that can stop relaying, like a database whose processes are stopped. */
class FreezableProxy {
  private frozen = false;
  private readonly pending: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(client).add(upstream);
      const relay = (from: Socket, to: Socket) =>
        from.on("data", (chunk) => {
          const send = () => to.write(chunk);
          if (this.frozen) this.pending.push(send);
          else send();
        });
      relay(client, upstream);
      relay(upstream, client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("close", close).on("error", close);
      upstream.on("close", close).on("error", close);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const addr = this.server.address();
    this.port = typeof addr === "object" && addr ? addr.port : 0;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const send of this.pending.splice(0)) send();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe("a frozen database", () => {
  it("answers 503 within the timeout, for pooled and new connections alike, and recovers when it thaws", async () => {
    const target = new URL(h.url);
    const proxy = new FreezableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    const viaProxy = new URL(h.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const db = createPrismaClient({ connectionString: viaProxy.toString(), max: 2, queryTimeoutMs: QUERY_TIMEOUT_MS });
    const app = await serverOn(db);
    try {
      expect((await call(app, "GET", "/jobs", { key: p.rawKey })).statusCode).toBe(200);
      proxy.freeze();
      // Several at once: some reuse the pooled connection, others need a new one.
      const frozen = await Promise.all([1, 2, 3].map(() => call(app, "GET", "/jobs", { key: p.rawKey })));
      for (const res of frozen) expectError(res, 503, TIMEOUT_MESSAGE);
      const create = await call(app, "POST", "/jobs", {
        key: p.rawKey,
        body: { name: "n", method: "GET", url: "https://example.com/", cron_expression: "0 0 * * *" },
      });
      expectError(create, 503, TIMEOUT_MESSAGE);
      expect((await app.inject({ url: "/readyz" })).statusCode).toBe(503);
      proxy.thaw();
      let res = await call(app, "GET", "/jobs", { key: p.rawKey });
      // A connection given up on while frozen may fail once more before the pool replaces it.
      if (res.statusCode === 503) res = await call(app, "GET", "/jobs", { key: p.rawKey });
      expect(res.statusCode, res.body).toBe(200);
    } finally {
      proxy.thaw();
      await app.close();
      await db.$disconnect().catch(() => undefined);
      await proxy.stop();
    }
  }, 30_000);
});
