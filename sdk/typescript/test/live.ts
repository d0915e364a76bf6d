// A live API server for the SDK's tests: a fresh test database, a tenant with an all-scopes key, the real
// Fastify app listening on an ephemeral port, and fixtures (a job with a run, a second key to revoke).
import { buildServer, type ServerDeps } from "@btick/api/src/server.ts";
import { addApiKey, createTenantWithKey, type TestPrincipal } from "@btick/contract/testing";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { signWebhook } from "@btick/webhooks";

export interface LiveServer {
  baseUrl: string;
  principal: TestPrincipal;
  db: TestDatabase;
  app: Awaited<ReturnType<typeof buildServer>>;
  close(): Promise<void>;
}

/** `options` go to the server as main.ts passes its env (e.g. `security` ← API_RATE_LIMIT_PER_MINUTE). */
export async function startLiveServer(options: Omit<ServerDeps, "db"> = {}): Promise<LiveServer> {
  const db = await createTestDatabase("btick_sdk");
  const principal = await createTenantWithKey(db.prisma);
  const app = await buildServer({ db: db.prisma, ...options });
  const baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    baseUrl,
    principal,
    db,
    app,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

export interface Fixture {
  jobId: string;
  runId: string;
  /** A second key of the same tenant (safe to revoke). */
  keyId: string;
  /** The job's signing secret, and a request for the run signed with it as the worker signs (packages/webhooks). */
  signingSecret: string;
  request: { headers: Record<string, string>; body: string };
}

let seq = 0;

/**
 * Creates a job through the REST API, a finished run of it (the worker is not part of these tests), a spare key,
 * and the signed request the worker would have sent for that run.
 */
export async function createFixture(server: LiveServer): Promise<Fixture> {
  const res = await fetch(`${server.baseUrl}/api/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.principal.rawKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "fixture job", method: "POST", url: "https://example.com/hook", cron_expression: "0 * * * *" }),
  });
  if (res.status !== 201) throw new Error(`fixture job: ${res.status} ${await res.text()}`);
  const { job, signing_secret } = (await res.json()) as { job: { id: string; tenant_id: string }; signing_secret: string };
  seq++;
  const run = await server.db.prisma.jobRun.create({
    data: {
      jobId: job.id,
      tenantId: job.tenant_id,
      triggerType: "scheduled",
      scheduledFor: new Date(Date.UTC(2026, 0, 1) + seq * 60_000),
      status: "success",
      attemptNumber: 1,
      maxAttempts: 1,
      requestMethod: "POST",
      requestUrl: "https://example.com/hook",
      requestHeaders: {},
      responseStatusCode: 200,
      finishedAt: new Date(Date.UTC(2026, 0, 1) + seq * 60_000 + 120),
      durationMs: 120,
      attempts: {
        create: [
          {
            attemptNumber: 1,
            outcome: "success",
            responseStatusCode: 200,
            startedAt: new Date(Date.UTC(2026, 0, 1) + seq * 60_000),
            finishedAt: new Date(Date.UTC(2026, 0, 1) + seq * 60_000 + 120),
            durationMs: 120,
          },
        ],
      },
    },
  });
  const key = await addApiKey(server.db.prisma, server.principal.tenantId, ["jobs:read"], { name: "spare key" });
  const body = JSON.stringify({ report: "daily" });
  const request = { headers: signWebhook({ secret: signing_secret, id: run.id, body }), body };
  return { jobId: job.id, runId: run.id, keyId: key.keyId, signingSecret: signing_secret, request };
}
