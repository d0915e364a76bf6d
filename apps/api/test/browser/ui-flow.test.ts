/// <reference lib="dom" />
// The web UI end to end in a real browser: register, API key, create a job against a local target, watch its
// runs appear live, open a run, pause/resume, edit with a validation error, delete, sign out; a second user
// cannot open the first user's job.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createJobViaForm, fillJobForm, register, startStack, WAIT_MS, type Stack } from "./harness.ts";

let stack: Stack;
let page: Page;
let jobId = "";
const email = `owner-${Date.now()}@example.test`;
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  ({ page } = await stack.newPage());
  page.on("pageerror", (err) => pageErrors.push(err.message));
}, 120_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

/** Marks the current document; `stillSameDocument` is false after any full page load. */
async function markDocument(p: Page): Promise<void> {
  await p.evaluate(() => {
    (window as unknown as { __uiMark: boolean }).__uiMark = true;
  });
}
async function stillSameDocument(p: Page): Promise<boolean> {
  return p.evaluate(() => (window as unknown as { __uiMark?: boolean }).__uiMark === true);
}

describe("web UI in a browser", { timeout: 180_000 }, () => {
  it("registers and lands on an empty jobs page", async () => {
    await register(page, email);
    await expect(page.getByRole("heading", { name: "Jobs", exact: true }).isVisible()).resolves.toBe(true);
    await page.getByText("No jobs yet.").waitFor();
  });

  it("creates an API key whose raw value is shown once", async () => {
    await page.goto("/ui/api-keys/new");
    await page.getByLabel("Name", { exact: true }).fill("ci deploy");
    await page.getByRole("button", { name: "Create key" }).click();
    const raw = await page.locator("#raw-key").inputValue();
    expect(raw).toMatch(/^skd_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/);
    // The key works against the REST API.
    const res = await fetch(`${stack.baseUrl}/api/v1/jobs`, { headers: { authorization: `Bearer ${raw}` } });
    expect(res.status).toBe(200);
    await page.goto("/ui/api-keys");
    expect(await page.content()).not.toContain(raw);
  });

  it("shows a live schedule preview while typing a cron expression", async () => {
    await page.goto("/ui/jobs/new");
    // The default schedule is previewed on load.
    await page.locator("#schedule-preview").getByText("Every 5 minutes").waitFor();
    await page.getByLabel("Cron expression").clear();
    await page.getByLabel("Cron expression").pressSequentially("0 9 * * 1-5");
    await page.getByLabel("Timezone").fill("Europe/Berlin");
    await page.locator("#schedule-preview").getByText("At 09:00, Monday through Friday").waitFor();
    expect(await page.locator("#schedule-preview li").count()).toBe(5);
    await page.getByLabel("Cron expression").fill("0 0 31 2 *");
    await page.locator("#schedule-preview").getByText("never fires").waitFor();
    await page.getByLabel("Cron expression").fill("*/5 * * * *");
    await page.getByLabel("Timezone").fill("Mars/Base");
    await page.locator("#schedule-preview").getByText('unknown IANA timezone "Mars/Base"').waitFor();
  });

  it("creates a job and watches its runs appear live on the detail page", async () => {
    jobId = await createJobViaForm(page, {
      name: "ping target",
      url: `${stack.target.url}/hook?src=ui`,
      cron: "*/2 * * * * *",
      headers: [
        ["Authorization", "Bearer super-secret-value"],
        ["X-Trace", "visible-value"],
      ],
      body: '{"hello": "world"}',
    });
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    await page.getByRole("heading", { name: "ping target" }).waitFor();
    // Secret-looking header values are masked; others are shown.
    const config = page.locator("#configuration");
    await config.getByText("visible-value").waitFor();
    expect(await config.textContent()).not.toContain("super-secret-value");
    await markDocument(page);
    // A run appears in the latest-runs table without a reload, and reaches success.
    await page.locator('#runs-panel tr[data-run-status="success"]').first().waitFor({ timeout: WAIT_MS });
    expect(await stillSameDocument(page)).toBe(true);
    expect(stack.target.requests.length).toBeGreaterThan(0);
    const sent = stack.target.requests[0];
    expect(sent?.headers.authorization).toBe("Bearer super-secret-value");
    expect(JSON.parse(sent?.body ?? "null")).toEqual({ hello: "world" });
    // The chart has a bar per run.
    expect(await page.locator("#duration-chart rect title").count()).toBeGreaterThan(0);
  });

  it("opens a run with its request, attempts and pretty-printed response", async () => {
    await page.locator('#runs-panel tr[data-run-status="success"] a').first().click();
    await page.waitForURL(/\/ui\/runs\/[0-9a-f-]{36}$/);
    await page.getByRole("heading", { name: "Run", exact: true }).waitFor();
    const request = page.locator("#request");
    await request.getByText(`${stack.target.url}/hook?src=ui`).waitFor();
    expect(await request.textContent()).not.toContain("super-secret-value");
    // Besides the job's headers, the page names every header BTick added to what the target received.
    const requestText = (await request.textContent()) ?? "";
    const received = Object.keys(stack.target.requests[0]?.headers ?? {}).filter((h) => /^(x-btick-|webhook-|idempotency-key$)/.test(h));
    expect(received.length).toBeGreaterThanOrEqual(7);
    for (const name of [...received, "content-type", "user-agent"]) expect(requestText.toLowerCase(), name).toContain(name);
    const runId = new URL(page.url()).pathname.split("/").pop() ?? "";
    expect(requestText).toContain(`Idempotency-Key: ${runId}`);
    expect(requestText).not.toMatch(/as sent/i);
    const attempts = page.locator("#attempts tbody tr");
    expect(await attempts.count()).toBeGreaterThanOrEqual(1);
    expect(await attempts.first().textContent()).toContain("success");
    const response = page.locator("#response");
    expect(await response.textContent()).toContain("200");
    expect(await response.textContent()).toContain("x-target");
    // JSON bodies are pretty-printed.
    expect(await response.locator("pre").textContent()).toMatch(/\{\n {2}"ok": true,/);
  });

  it("lists the job with status badges and pauses and resumes it in place through htmx", async () => {
    await page.goto("/ui/jobs");
    const row = page.locator(`#job-${jobId}`);
    await row.getByText("active").waitFor();
    await row.locator("time[data-local-applied]").first().waitFor();
    await markDocument(page);
    await row.getByRole("button", { name: "Pause ping target" }).click();
    await row.getByText("paused", { exact: true }).first().waitFor();
    await row.getByRole("button", { name: "Resume ping target" }).waitFor();
    expect(await stillSameDocument(page)).toBe(true);
    // Paused: filters find it under "paused" only.
    await page.getByLabel("Status").selectOption("active");
    await page.getByText("No jobs match these filters.").waitFor();
    await page.getByLabel("Status").selectOption("paused");
    await row.waitFor();
    await row.getByRole("button", { name: "Resume ping target" }).click();
    await row.getByRole("button", { name: "Pause ping target" }).waitFor();
    await row.getByText("active").waitFor();
    expect(await stillSameDocument(page)).toBe(true);
    await page.getByLabel("Status").selectOption("all");
    await page.getByLabel("Search by name").fill("no such job");
    await page.getByText("No jobs match these filters.").waitFor();
    await page.getByLabel("Search by name").fill("ping");
    await row.waitFor();
  });

  it("edits with validation errors shown inline next to each field, keeping the typed values", async () => {
    await page.goto(`/ui/jobs/${jobId}/edit`);
    await fillJobForm(page, { name: "", cron: "61 * * * *", body: "{not json", method: "POST" });
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("alert").getByText(/problems need fixing/).waitFor();
    expect(await page.locator("#f-name-error").textContent()).toContain("must not be empty");
    expect(await page.locator("#f-cron_expression-error").textContent()).toMatch(/invalid cron expression/);
    expect(await page.locator("#f-body-error").textContent()).toMatch(/must be valid JSON/);
    expect(await page.getByLabel("Cron expression").inputValue()).toBe("61 * * * *");
    expect(await page.getByLabel("Body (JSON)").inputValue()).toBe("{not json");
    expect(await page.getByLabel("Name", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    // Nothing was saved.
    const saved = await stack.db.prisma.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(saved.name).toBe("ping target");
    // A body with GET is refused by the API's cross-field rule.
    await fillJobForm(page, { name: "ping target (edited)", cron: "0 * * * *", method: "GET", body: '{"a": 1}' });
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator("#f-body-error").getByText("body is not allowed for GET requests").waitFor();
    // Fixed: saved and back on the detail page.
    await fillJobForm(page, { method: "POST" });
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(`**/ui/jobs/${jobId}`);
    await page.getByRole("heading", { name: "ping target (edited)" }).waitFor();
    await page.getByText("Changes saved.").waitFor();
  });

  it("cannot be opened by another user (404 page)", async () => {
    const { page: other } = await stack.newPage();
    await register(other, `other-${Date.now()}@example.test`);
    for (const path of [`/ui/jobs/${jobId}`, `/ui/jobs/${jobId}/edit`, `/ui/jobs/${jobId}/runs`, "/ui/jobs/not-a-uuid"]) {
      const res = await other.goto(path);
      expect(res?.status(), path).toBe(404);
      await other.getByRole("heading", { name: "Page not found" }).waitFor();
    }
    const run = await stack.db.prisma.jobRun.findFirstOrThrow({ where: { jobId } });
    expect((await other.goto(`/ui/runs/${run.id}`))?.status()).toBe(404);
    await other.goto("/ui/jobs");
    await other.getByText("No jobs yet.").waitFor();
  });

  it("lists runs with pagination-ready filters", async () => {
    await page.goto(`/ui/jobs/${jobId}/runs`);
    await page.getByRole("heading", { name: "Runs", exact: true }).waitFor();
    expect(await page.locator('tr[data-run-status="success"]').count()).toBeGreaterThan(0);
    await page.getByRole("link", { name: "failed", exact: true }).click();
    await page.getByText("No runs yet.").waitFor();
  });

  it("deletes the job from the list after confirming", async () => {
    await page.goto("/ui/jobs");
    const row = page.locator(`#job-${jobId}`);
    await markDocument(page);
    // Dismissing the confirmation keeps the job.
    page.once("dialog", (d) => void d.dismiss());
    await row.getByRole("button", { name: /^Delete / }).click();
    await row.waitFor();
    expect(await stack.db.prisma.job.count({ where: { id: jobId } })).toBe(1);
    const dialog = new Promise<string>((resolve) => page.once("dialog", (d) => (resolve(d.message()), void d.accept())));
    await row.getByRole("button", { name: /^Delete / }).click();
    expect(await dialog).toMatch(/Delete the job .*ping target \(edited\).* cannot be undone/);
    await row.waitFor({ state: "detached" });
    expect(await stillSameDocument(page)).toBe(true);
    expect(await stack.db.prisma.job.count({ where: { id: jobId } })).toBe(0);
    expect((await page.goto(`/ui/jobs/${jobId}`))?.status()).toBe(404);
  });

  it("deletes from the detail page through a confirmation step", async () => {
    const id = await createJobViaForm(page, { name: "second", url: `${stack.target.url}/second`, cron: "0 0 1 1 *" });
    await page.getByRole("link", { name: "Delete" }).click();
    await page.getByRole("heading", { name: "Delete job?" }).waitFor();
    await page.getByRole("button", { name: "Delete job" }).click();
    await page.waitForURL("**/ui/jobs");
    await page.getByText("Job “second” deleted.").waitFor();
    expect(await stack.db.prisma.job.count({ where: { id } })).toBe(0);
  });

  it("signs out", async () => {
    await page.goto("/ui/jobs");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL("**/login");
    await page.goto("/ui/jobs");
    await page.waitForURL(`**/login?next=${encodeURIComponent("/ui/jobs")}`);
    expect(pageErrors).toEqual([]);
  });
});
