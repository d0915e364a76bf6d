// Every run status in the job and run pages: the runs filter offers all of them (an unknown one is a validation
// message), the duration chart explains every color and copes with runs that have not finished, policy skips are
// not styled as errors, and the "last run failed" badge counts every failure.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { RUN_STATUSES, type RunStatus } from "@btick/contract";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { buildServer } from "../../src/server.ts";
import { UiClient, uniqueEmail } from "../ui/client.ts";

let db: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase("btick_ui_run_statuses");
  app = await buildServer({ db: db.prisma });
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

async function jobOfNewUser(): Promise<{ client: UiClient; tenantId: string; jobId: string }> {
  const client = new UiClient(app);
  const email = uniqueEmail("statuses");
  expect((await client.register(email, "right password")).statusCode).toBe(303);
  const { tenantId } = await db.prisma.user.findUniqueOrThrow({ where: { email } });
  await client.get("/ui/jobs/new");
  const res = await client.post("/ui/jobs", { name: "s", method: "POST", url: "https://example.com/h", cron_expression: "0 3 * * *", timezone: "UTC", enabled: "true" });
  return { client, tenantId, jobId: String(res.headers.location).split("/").pop() ?? "" };
}

let seq = 0;
async function addRun(tenantId: string, jobId: string, status: RunStatus, extra: { errorMessage?: string; durationMs?: number | null } = {}) {
  const startedAt = new Date(Date.now() - 600_000 + ++seq * 1000);
  const finished = status !== "running";
  return db.prisma.jobRun.create({
    data: {
      jobId,
      tenantId,
      triggerType: "scheduled",
      scheduledFor: startedAt,
      startedAt,
      status,
      attemptNumber: 1,
      maxAttempts: 1,
      requestMethod: "POST",
      requestUrl: "https://example.com/h",
      requestHeaders: {},
      errorMessage: extra.errorMessage ?? null,
      finishedAt: finished ? new Date(startedAt.getTime() + 50) : null,
      durationMs: extra.durationMs === undefined ? (finished && status !== "skipped" ? 1500 : null) : extra.durationMs,
    },
  });
}

describe("run statuses in the UI", () => {
  it("filters runs by every status and answers an unknown one with a validation message", async () => {
    const { client, tenantId, jobId } = await jobOfNewUser();
    const ids: Record<string, string> = {};
    for (const s of RUN_STATUSES) ids[s] = (await addRun(tenantId, jobId, s)).id;
    const all = await client.get(`/ui/jobs/${jobId}/runs`);
    for (const s of RUN_STATUSES) expect(all.body, s).toContain(`href="/ui/jobs/${jobId}/runs?status=${s}"`);
    for (const s of RUN_STATUSES) {
      const page = await client.get(`/ui/jobs/${jobId}/runs?status=${s}`);
      expect(page.statusCode, s).toBe(200);
      expect(page.body, s).toContain(`/ui/runs/${ids[s]}`);
      expect(page.body.match(/href="\/ui\/runs\//g), s).toHaveLength(1);
    }
    const bad = await client.get(`/ui/jobs/${jobId}/runs?status=bogus`);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers["content-type"]).toMatch(/^text\/html/);
    expect(bad.body).toContain("must be one of running, success, failed, lost, skipped, cancelled, blocked_by_policy");
    expect(bad.body).not.toContain("All runs");
    expect(bad.body).not.toContain("/ui/runs/");
  });

  it("explains every chart color, and does not style a policy skip as an error", async () => {
    const { client, tenantId, jobId } = await jobOfNewUser();
    await addRun(tenantId, jobId, "success");
    await addRun(tenantId, jobId, "skipped", { errorMessage: "skipped: the previous run was still running" });
    const page = await client.get(`/ui/jobs/${jobId}`);
    const legend = /<figcaption[\s\S]*?<\/figcaption>/.exec(page.body)?.[0] ?? "";
    for (const s of RUN_STATUSES) expect(legend, s).toContain(s.replace(/_/g, " "));
    const fills = new Set([...(/<svg[^>]*role="img"[\s\S]*?<\/svg>/.exec(page.body)?.[0] ?? "").matchAll(/fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]));
    for (const fill of fills) expect(legend, `legend for ${fill}`).toContain(`fill="${fill}"`);
    const skippedRow = /<tr[^>]*data-run-status="skipped"[\s\S]*?<\/tr>/.exec(page.body)?.[0] ?? "";
    expect(skippedRow).toContain("skipped: the previous run was still running");
    expect(skippedRow).not.toContain("text-red");
    const run = await db.prisma.jobRun.findFirstOrThrow({ where: { jobId, status: "skipped" } });
    const runPage = await client.get(`/ui/runs/${run.id}`);
    const reason = /<dt[^>]*>(Reason|Error)<\/dt>\s*<dd[^>]*>([\s\S]*?)<\/dd>/.exec(runPage.body);
    expect(reason?.[1]).toBe("Reason");
    expect(reason?.[2]).not.toContain("text-red");
  });

  it("says so when no run has finished yet instead of a made-up longest duration", async () => {
    const { client, tenantId, jobId } = await jobOfNewUser();
    await addRun(tenantId, jobId, "running");
    const page = await client.get(`/ui/jobs/${jobId}`);
    const figure = /<figure[\s\S]*?<\/figure>/.exec(page.body)?.[0] ?? "";
    expect(figure).not.toMatch(/longest \d/);
    expect(figure).toContain("no finished runs yet");
  });

  it("shows 'last run failed' for failed, lost and blocked runs, not for cancelled ones", async () => {
    const { client, tenantId, jobId } = await jobOfNewUser();
    for (const [status, failed] of [
      ["blocked_by_policy", true],
      ["success", false],
      ["lost", true],
      ["cancelled", false],
      ["failed", true],
      ["skipped", false],
    ] as const) {
      await addRun(tenantId, jobId, status);
      const list = await client.get("/ui/jobs");
      const detail = await client.get(`/ui/jobs/${jobId}`);
      expect(list.body.includes("last run failed"), `list after ${status}`).toBe(failed);
      expect(detail.body.includes("last run failed"), `detail after ${status}`).toBe(failed);
    }
  });
});
