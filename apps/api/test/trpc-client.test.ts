// Drives the real server over TCP with @trpc/client, importing only the router's type.
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { AppRouter } from "@btick/contract";
import { createTenantWithKey, type TestPrincipal } from "@btick/contract/testing";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { buildServer } from "../src/server.ts";

let db: TestDatabase;
let app: FastifyInstance;
let baseUrl: string;
let principal: TestPrincipal;

function client(key: string | null) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${baseUrl}/trpc`, headers: () => (key ? { authorization: `Bearer ${key}` } : {}) })],
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  principal = await createTenantWithKey(db.prisma);
  app = await buildServer({ db: db.prisma });
  baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

describe("tRPC client against the server", () => {
  it("creates, gets, lists and triggers a job (batched calls included)", async () => {
    const trpc = client(principal.rawKey);
    const { job } = await trpc.jobs.create.mutate({
      name: "via trpc",
      method: "post",
      url: "https://example.com/hook",
      cron_expression: "0 * * * *",
      body: { hello: "world" },
    });
    expect(job).toMatchObject({ name: "via trpc", method: "POST", enabled: true, body: { hello: "world" } });
    expect(job.next_runs).toHaveLength(5);

    const [got, list] = await Promise.all([trpc.jobs.get.query({ jobId: job.id }), trpc.jobs.list.query({ limit: 10 })]);
    expect(got.job.id).toBe(job.id);
    expect(list.jobs.map((j) => j.id)).toContain(job.id);
    expect(list.next_cursor).toBeNull();

    const trig = await trpc.jobs.trigger.mutate({ jobId: job.id });
    expect(trig.message).toBe("manual trigger accepted");
    expect(await db.prisma.manualTrigger.count({ where: { id: trig.trigger_id, jobId: job.id } })).toBe(1);

    expect(await trpc.health.check.query()).toEqual({ status: "ok" });
  });

  it("reports UNAUTHORIZED for a bad key and a missing key", async () => {
    for (const key of ["skd_000000000000_notarealsecretnotarealsecret12", null]) {
      const err = await client(key)
        .jobs.list.query({})
        .then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCClientError);
      const e = err as TRPCClientError<AppRouter>;
      expect(e.data?.code).toBe("UNAUTHORIZED");
      expect(e.data?.httpStatus).toBe(401);
      expect(e.message).toBe(key ? "invalid api key" : "missing bearer token");
    }
  });

  it("exposes the validation envelope in error data and never a stack", async () => {
    const err = (await client(principal.rawKey)
      .jobs.create.mutate({ name: "", method: "GET", url: "x", cron_expression: "0 0 31 2 *" })
      .then(() => null, (e: unknown) => e)) as TRPCClientError<AppRouter>;
    expect(err.data?.code).toBe("BAD_REQUEST");
    expect(err.data?.envelope.validation?.map((v) => v.field).sort()).toEqual(["cron_expression", "name", "url"]);
    expect(JSON.stringify(err.shape)).not.toContain("stack");
  });
});
