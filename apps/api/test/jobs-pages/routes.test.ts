// Job and run pages over inject(): plain-form fallbacks of the htmx actions, redirect targets, partials,
// pagination, masking, the truncated-body marker and 404s for missing or foreign ids.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CONCURRENCY_POLICIES, developmentSecretsOptions, JOB_FIELD_RANGES, MISFIRE_POLICIES } from "@btick/contract";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { buildServer } from "../../src/server.ts";
import { UiClient, uniqueEmail } from "../ui/client.ts";

let db: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase("btick_jobs_pages");
  app = await buildServer({ db: db.prisma });
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

async function signedIn(): Promise<{ client: UiClient; tenantId: string }> {
  const client = new UiClient(app);
  const email = uniqueEmail("jobs");
  expect((await client.register(email, "right password")).statusCode).toBe(303);
  const user = await db.prisma.user.findUniqueOrThrow({ where: { email } });
  return { client, tenantId: user.tenantId };
}

const jobForm = (over: Record<string, string | string[]> = {}) => ({
  name: "nightly",
  method: "POST",
  url: "https://example.com/hook",
  header_name: ["Authorization", "X-Plain", ""],
  header_value: ["Bearer hidden-token", "shown", ""],
  body: '{"a": 1}',
  cron_expression: "0 3 * * *",
  timezone: "Europe/Berlin",
  retry_max: "1",
  timeout_seconds: "30",
  enabled: ["false", "true"],
  ...over,
});

async function createJob(client: UiClient, over: Record<string, string | string[]> = {}): Promise<string> {
  await client.get("/ui/jobs/new");
  const res = await client.post("/ui/jobs", jobForm(over));
  expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
  const id = /^\/ui\/jobs\/([0-9a-f-]{36})$/.exec(String(res.headers.location))?.[1];
  expect(id).toBeDefined();
  return id ?? "";
}

describe("job pages", () => {
  it("creates a job from the form and shows it with secret headers masked", async () => {
    const { client } = await signedIn();
    const id = await createJob(client);
    const job = await db.prisma.job.findUniqueOrThrow({ where: { id } });
    // The secret header is stored encrypted (the plain column holds only its mask).
    expect(job).toMatchObject({ name: "nightly", headers: { Authorization: "***", "X-Plain": "shown" }, body: { a: 1 }, retryMax: 1, timeoutSeconds: 30 });
    expect(Object.keys(job.secretHeaders as object)).toEqual(["Authorization"]);
    expect(JSON.stringify(job)).not.toContain("hidden-token");
    const page = await client.get(`/ui/jobs/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("shown");
    expect(page.body).not.toContain("hidden-token");
    expect(page.body).toContain("At 03:00");
    // Not polling: nothing is running and the next run is hours away.
    expect(page.body).toContain('data-polling="false"');
  });

  it("shows the new job's signing secret once, and a new one after rotation with the old one's deadline", async () => {
    const { client, tenantId } = await signedIn();
    const id = await createJob(client);
    const stored = () => db.prisma.job.findUniqueOrThrow({ where: { id } });
    const decrypt = (envelope: string | null) => developmentSecretsOptions().keyring.open(envelope ?? "", `tenant:${tenantId}`);
    const secretOn = (html: string) => /id="signing-secret"[^>]*value="([^"]+)"/.exec(html)?.[1] ?? null;

    const page = await client.get(`/ui/jobs/${id}`);
    const first = secretOn(page.body);
    expect(first).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(first).toBe(decrypt((await stored()).signingSecret));
    expect(page.body).toContain('data-copy-target="signing-secret"');
    expect(page.body).toContain("shown only this once");
    // Shown once: the next load of the page (or the live panel) does not have it.
    const again = await client.get(`/ui/jobs/${id}`);
    expect(secretOn(again.body)).toBeNull();
    expect(again.body).not.toContain(first ?? "-");
    expect(again.body).toContain("Rotate signing secret");

    const rotated = await client.post(`/ui/jobs/${id}/rotate-signing-secret`);
    expect([rotated.statusCode, rotated.headers.location]).toEqual([303, `/ui/jobs/${id}`]);
    const after = await client.get(`/ui/jobs/${id}`);
    const second = secretOn(after.body);
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    const job = await stored();
    expect(second).toBe(decrypt(job.signingSecret));
    expect(decrypt(job.signingSecretPrevious)).toBe(first);
    const until = job.signingSecretPreviousExpiresAt?.toISOString() ?? "";
    expect(after.body).toMatch(/previous secret[^<]*stays valid/i);
    expect(after.body).toContain(`datetime="${until}"`);
    expect(secretOn((await client.get(`/ui/jobs/${id}`)).body)).toBeNull();

    // Through htmx, the rotation answers with a full-page redirect.
    const htmx = await client.post(`/ui/jobs/${id}/rotate-signing-secret`, {}, { headers: { "hx-request": "true" } });
    expect([htmx.statusCode, htmx.headers["hx-redirect"]]).toEqual([200, `/ui/jobs/${id}`]);
  });

  it("edits the scheduling policies and run limit, with the bounds of the API's schema", async () => {
    const { client } = await signedIn();
    const form = await client.get("/ui/jobs/new");
    const control = (name: string) => new RegExp(`<(?:input|select)[^>]*name="${name}"[^>]*>`).exec(form.body)?.[0] ?? "";
    for (const [name, range] of Object.entries(JOB_FIELD_RANGES)) {
      expect(control(name), name).toContain(`min="${range.min}"`);
      expect(control(name), name).toContain(`max="${range.max}"`);
    }
    for (const p of CONCURRENCY_POLICIES) expect(form.body).toContain(`<option value="${p}"`);
    for (const p of MISFIRE_POLICIES) expect(form.body).toContain(`<option value="${p}"`);

    const id = await createJob(client, { concurrency_policy: "replace", misfire_policy: "catch_up", misfire_catch_up_max: "25", max_runs: "500" });
    expect(await db.prisma.job.findUniqueOrThrow({ where: { id } })).toMatchObject({
      concurrencyPolicy: "replace",
      misfirePolicy: "catch_up",
      misfireCatchUpMax: 25,
      maxRuns: 500,
    });
    const page = await client.get(`/ui/jobs/${id}`);
    const config = /id="configuration"[\s\S]*?<\/section>/.exec(page.body)?.[0] ?? "";
    expect(config).toContain("replace");
    expect(config).toContain("catch_up");
    expect(config).toContain("25");
    expect(config).toContain("500");

    const edit = await client.get(`/ui/jobs/${id}/edit`);
    expect(edit.body).toMatch(/<option value="replace" selected>/);
    expect(edit.body).toMatch(/<option value="catch_up" selected>/);
    expect(edit.body).toMatch(/name="misfire_catch_up_max"[^>]*value="25"|value="25"[^>]*name="misfire_catch_up_max"/);
    // Out of range: the API's message next to the field. Blank run limit: no limit.
    const bad = await client.post(`/ui/jobs/${id}`, jobForm({ misfire_catch_up_max: "0", max_runs: "" }));
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toMatch(/id="f-misfire_catch_up_max-error"[^>]*>\s*<li>must be between 1 and 100/);
    const cleared = await client.post(`/ui/jobs/${id}`, jobForm({ concurrency_policy: "allow", misfire_policy: "skip", misfire_catch_up_max: "10", max_runs: "" }));
    expect(cleared.statusCode).toBe(303);
    expect(await db.prisma.job.findUniqueOrThrow({ where: { id } })).toMatchObject({ concurrencyPolicy: "allow", misfirePolicy: "skip", maxRuns: null });
  });

  it("re-renders the form with 422, the typed values and every API message per field", async () => {
    const { client } = await signedIn();
    await client.get("/ui/jobs/new");
    const res = await client.post("/ui/jobs", jobForm({ name: " ", url: "ftp://x", header_name: ["Bad Name"], header_value: ["v"], timeout_seconds: "0" }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toMatch(/id="f-name-error"[^>]*>\s*<li>must not be empty/);
    expect(res.body).toMatch(/id="f-url-error"[^>]*>\s*<li>must be an absolute http/);
    expect(res.body).toMatch(/id="f-timeout_seconds-error"[^>]*>\s*<li>must be between 1 and 900/);
    expect(res.body).toContain("Bad Name: is not a valid header name");
    expect(res.body).toContain('value="ftp://x"');
    expect(await db.prisma.job.count({ where: { url: "ftp://x" } })).toBe(0);
  });

  it("saves nothing when only the form sees a problem, yet lists the API's messages too", async () => {
    const { client, tenantId } = await signedIn();
    await client.get("/ui/jobs/new");
    const res = await client.post("/ui/jobs", jobForm({ body: "{oops", cron_expression: "99 * * * *" }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toMatch(/id="f-body-error"[^>]*>\s*<li>must be valid JSON/);
    expect(res.body).toMatch(/id="f-cron_expression-error"[^>]*>\s*<li>invalid cron expression/);
    expect(res.body).not.toContain("__validate_only");
    expect(await db.prisma.job.count({ where: { tenantId } })).toBe(0);
  });

  it("pause, resume and trigger without htmx redirect back with a notice; htmx gets the row", async () => {
    const { client } = await signedIn();
    const id = await createJob(client);
    await client.get("/ui/jobs");
    const paused = await client.post(`/ui/jobs/${id}/pause`, { return_to: "/ui/jobs" });
    expect(paused.statusCode).toBe(303);
    expect(paused.headers.location).toBe("/ui/jobs");
    expect((await db.prisma.job.findUniqueOrThrow({ where: { id } })).enabled).toBe(false);
    // Only UI paths are accepted as return targets.
    for (const evil of ["//evil.example/x", "https://evil.example/", "/\\evil.example"]) {
      const r = await client.post(`/ui/jobs/${id}/resume`, { return_to: evil });
      expect(r.headers.location).toBe(`/ui/jobs/${id}`);
    }
    const triggered = await client.post(`/ui/jobs/${id}/trigger`, { return_to: `/ui/jobs/${id}` });
    expect(triggered.headers.location).toBe(`/ui/jobs/${id}?watch=15`);
    expect(await db.prisma.manualTrigger.count({ where: { jobId: id } })).toBe(1);
    const watching = await client.get(`/ui/jobs/${id}?watch=15`);
    expect(watching.body).toContain('data-polling="true"');
    expect(watching.body).toContain(`hx-get="/ui/jobs/${id}/runs-panel?watch=14"`);

    const row = await client.post(`/ui/jobs/${id}/pause`, {}, { headers: { "hx-request": "true", "x-csrf-token": client.csrf } });
    expect(row.statusCode).toBe(200);
    expect(row.body).toMatch(new RegExp(`^<tr id="job-${id}"`));
    expect(row.body).toContain("Paused.");
    expect(row.body).toContain(">Resume<");
  });

  it("updates the status badges and the schedule's next and last run with the runs panel, and stops polling once the job is gone", async () => {
    const { client } = await signedIn();
    const id = await createJob(client);
    await client.get(`/ui/jobs/${id}`);
    const hx = { "hx-request": "true" };
    const live = await client.get(`/ui/jobs/${id}/runs-panel?watch=3`, hx);
    expect(live.statusCode).toBe(200);
    expect(live.body).toMatch(/^<div id="runs-panel"/);
    expect(live.body).toContain('hx-trigger="every 2s"');
    // One request refreshes the other live parts of the page too (out-of-band swaps).
    const oob = (html: string, id: string) => new RegExp(`<[a-z]+ [^>]*id="${id}"[^>]*hx-swap-oob="true"[\\s\\S]*?</(?:div|span)>`).exec(html)?.[0] ?? "";
    expect(oob(live.body, "job-status")).toContain("active");
    expect(oob(live.body, "schedule-next")).toContain("Next run");
    expect(oob(live.body, "schedule-last")).toContain("Last run");
    await db.prisma.job.update({ where: { id }, data: { enabled: false, nextRunAt: null, lastRunAt: new Date("2026-01-02T03:04:05Z") } });
    const paused = await client.get(`/ui/jobs/${id}/runs-panel?watch=2`, hx);
    expect(oob(paused.body, "job-status")).toContain("paused");
    expect(oob(paused.body, "schedule-next")).toContain("paused");
    expect(oob(paused.body, "schedule-last")).toContain('datetime="2026-01-02T03:04:05.000Z"');
    // The full page renders the same parts in place (without the out-of-band marker).
    const page = await client.get(`/ui/jobs/${id}`);
    expect(page.body).toMatch(/id="job-status"(?![^>]*hx-swap-oob)/);
    expect(page.body).toMatch(/id="schedule-next"(?![^>]*hx-swap-oob)/);

    await db.prisma.job.delete({ where: { id } });
    const gone = await client.get(`/ui/jobs/${id}/runs-panel?watch=1`, hx);
    expect(gone.statusCode).toBe(200);
    expect(gone.body).toMatch(/^<div id="runs-panel"/);
    expect(gone.body).not.toContain("hx-trigger");
    expect(gone.body).toContain('data-polling="false"');
    expect(gone.body).toContain("This job no longer exists");
  });

  it("ends the run page's polling once the run is gone", async () => {
    const { client, tenantId } = await signedIn();
    const id = await createJob(client);
    const run = await db.prisma.jobRun.create({
      data: { jobId: id, tenantId, triggerType: "manual", scheduledFor: new Date(), status: "running", attemptNumber: 1, maxAttempts: 1, requestMethod: "POST", requestUrl: "https://example.com/hook", requestHeaders: {} },
    });
    const hx = { "hx-request": "true" };
    expect((await client.get(`/ui/runs/${run.id}`, hx)).body).toContain('hx-trigger="every 2s"');
    await db.prisma.job.delete({ where: { id } });
    const gone = await client.get(`/ui/runs/${run.id}`, hx);
    expect(gone.statusCode).toBe(200);
    expect(gone.body).toMatch(/^<div id="run-page"/);
    expect(gone.body).not.toContain("hx-trigger");
    expect(gone.body).toContain("This run no longer exists");
    // Opened directly, it is the 404 page as before.
    expect((await client.get(`/ui/runs/${run.id}`)).statusCode).toBe(404);
  });

  it("deletes only after confirmation", async () => {
    const { client } = await signedIn();
    const id = await createJob(client);
    await client.get(`/ui/jobs/${id}`);
    const ask = await client.post(`/ui/jobs/${id}/delete`);
    expect(ask.statusCode).toBe(200);
    expect(ask.body).toContain("Delete job?");
    expect(await db.prisma.job.count({ where: { id } })).toBe(1);
    const done = await client.post(`/ui/jobs/${id}/delete`, { confirm: "yes" });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe("/ui/jobs");
    expect(await db.prisma.job.count({ where: { id } })).toBe(0);
  });

  it("deleting the last job of the list through htmx shows the empty state and a confirmation", async () => {
    const { client } = await signedIn();
    const id = await createJob(client, { name: "only one" });
    const list = await client.get("/ui/jobs");
    const row = new RegExp(`<tr id="job-${id}"[\\s\\S]*?</tr>`).exec(list.body)?.[0] ?? "";
    expect(row).toContain('hx-target="#jobs-table"');
    const res = await client.post(`/ui/jobs/${id}/delete`, { confirm: "yes", return_to: "/ui/jobs" }, { headers: { "hx-request": "true" } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^<div id="jobs-table"/);
    expect(res.body).toContain("No jobs yet.");
    expect(res.body).not.toContain("<table");
    expect(res.body).toMatch(/<div id="flash"[^>]*hx-swap-oob="true"[^>]*>[\s\S]*Job “only one” deleted\./);
    expect(await db.prisma.job.count({ where: { id } })).toBe(0);
  });

  it("deleting through htmx from a filtered list keeps the filter", async () => {
    const { client } = await signedIn();
    const keep = await createJob(client, { name: "alpha keep" });
    const gone = await createJob(client, { name: "alpha gone" });
    await createJob(client, { name: "beta" });
    const filtered = await client.get("/ui/jobs?q=alpha");
    expect(filtered.body).toContain('name="return_to" value="/ui/jobs?q=alpha"');
    const res = await client.post(`/ui/jobs/${gone}/delete`, { confirm: "yes", return_to: "/ui/jobs?q=alpha" }, { headers: { "hx-request": "true" } });
    expect(res.body).toContain(`id="job-${keep}"`);
    expect(res.body).not.toContain(">beta<");
    // Without JavaScript: back to the same filtered list.
    const plain = await client.post(`/ui/jobs/${keep}/delete`, { confirm: "yes", return_to: "/ui/jobs?q=alpha" });
    expect([plain.statusCode, plain.headers.location]).toEqual([303, "/ui/jobs?q=alpha"]);
    expect((await client.get("/ui/jobs?q=alpha")).body).toContain("No jobs match these filters.");
  });

  it("serves the preview and header-row partials", async () => {
    const { client } = await signedIn();
    const ok = await client.get("/ui/jobs/schedule-preview?cron_expression=*/10+*+*+*+*&timezone=Asia/Tokyo", { "hx-request": "true" });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain("Every 10 minutes");
    expect(ok.body.match(/<li>/g)).toHaveLength(5);
    const bad = await client.get("/ui/jobs/schedule-preview?cron_expression=*+*&timezone=UTC", { "hx-request": "true" });
    expect(bad.body).toContain("must have 5 fields");
    const row = await client.get("/ui/jobs/header-row", { "hx-request": "true" });
    expect(row.body).toMatch(/^<li/);
    expect(row.body).toContain('name="header_name"');
  });

  it("paginates jobs and filters by status and name", async () => {
    const { client } = await signedIn();
    for (let i = 0; i < 22; i++) await createJob(client, { name: `job ${String(i).padStart(2, "0")}` });
    const first = await client.get("/ui/jobs");
    expect(first.body.match(/<tr id="job-/g)).toHaveLength(20);
    const next = /href="(\/ui\/jobs\?cursor=[^"]+)"[^>]*rel="next"/.exec(first.body)?.[1];
    expect(next).toBeDefined();
    const second = await client.get((next ?? "").replace(/&amp;/g, "&"));
    expect(second.body.match(/<tr id="job-/g)).toHaveLength(2);
    expect(second.body).toContain("job 00");
    const search = await client.get("/ui/jobs?q=job+1");
    expect(search.body.match(/<tr id="job-/g)).toHaveLength(10);
    expect((await client.get("/ui/jobs?status=paused")).body).toContain("No jobs match these filters.");
  });

  it("shows a run with the truncated marker and the full size", async () => {
    const { client, tenantId } = await signedIn();
    const id = await createJob(client);
    const run = await db.prisma.jobRun.create({
      data: {
        jobId: id,
        tenantId,
        triggerType: "manual",
        scheduledFor: new Date(),
        status: "failed",
        attemptNumber: 2,
        maxAttempts: 2,
        requestMethod: "POST",
        requestUrl: "https://example.com/hook",
        requestHeaders: { Authorization: "Bearer hidden-token" },
        responseStatusCode: 502,
        responseHeaders: { "content-type": ["text/plain"] },
        responseBody: "x".repeat(100),
        responseBodyTruncated: true,
        responseBodyBytes: 200_000,
        errorMessage: "received non-2xx status code 502",
        finishedAt: new Date(),
        durationMs: 1234,
      },
    });
    const page = await client.get(`/ui/runs/${run.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("truncated");
    expect(page.body).toContain("200000 bytes");
    expect(page.body).toContain("received non-2xx status code 502");
    expect(page.body).not.toContain("hidden-token");
    const runs = await client.get(`/ui/jobs/${id}/runs?status=failed`);
    expect(runs.body).toContain(`/ui/runs/${run.id}`);
    expect((await client.get(`/ui/jobs/${id}/runs?status=success`)).body).not.toContain(`/ui/runs/${run.id}`);
  });

  it("answers 404 pages for missing, malformed and foreign ids", async () => {
    const { client } = await signedIn();
    const id = await createJob(client);
    const { client: other } = await signedIn();
    for (const path of [`/ui/jobs/${id}`, `/ui/jobs/${id}/edit`, `/ui/jobs/${id}/runs`, `/ui/jobs/${id}/delete`, "/ui/jobs/nope", `/ui/runs/${id}`]) {
      const res = await other.get(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
    }
    await other.get("/ui/jobs");
    expect((await other.post(`/ui/jobs/${id}/pause`)).statusCode).toBe(404);
    expect((await other.post(`/ui/jobs/${id}/delete`, { confirm: "yes" })).statusCode).toBe(404);
    expect(await db.prisma.job.count({ where: { id } })).toBe(1);
  });
});
