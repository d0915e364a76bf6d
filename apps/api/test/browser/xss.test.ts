/// <reference lib="dom" />
// Markup and script in every user-controlled field render as inert text on every page that shows them.
// The CSP would block inline scripts anyway, so the test checks the DOM itself: no injected elements, no
// attempted inline script (securitypolicyviolation), no dialog, and the values appear literally.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createJobViaForm, fillJobForm, register, startStack, until, WAIT_MS, type Stack } from "./harness.ts";

const PAYLOAD = `"'><script>alert(1)</script><img src=x onerror=alert(2)><i id="xss-marker">x</i>`;
const URL_PAYLOAD = `"'><script>alert(3)</script><svg/onload=alert(4)>`;

let stack: Stack;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startStack({ prefix: "btick_ui_xss" });
  ({ page } = await stack.newPage());
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener("securitypolicyviolation", (e: SecurityPolicyViolationEvent) => w.__violations.push(`${e.violatedDirective} ${e.sample}`));
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

/** Nothing injected on the current page: no inline scripts, no payload elements, no blocked script attempts. */
async function expectInert(p: Page, where: string): Promise<void> {
  const found = await p.evaluate(() => ({
    inlineScripts: document.querySelectorAll("script:not([src])").length,
    injected: document.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload], #xss-marker').length,
    violations: (window as unknown as { __violations?: string[] }).__violations ?? [],
  }));
  expect(found, where).toEqual({ inlineScripts: 0, injected: 0, violations: [] });
  expect(dialogs, where).toEqual([]);
}

describe("XSS: user-controlled values render inert", { timeout: 180_000 }, () => {
  let jobId = "";

  it("in the API key pages", async () => {
    await register(page, `xss-${Date.now()}@example.test`);
    await page.goto("/ui/api-keys/new");
    await page.getByLabel("Name", { exact: true }).fill(PAYLOAD);
    await page.getByRole("button", { name: "Create key" }).click();
    await page.locator("#raw-key").waitFor();
    await expectInert(page, "key created");
    expect(await page.locator("main").textContent()).toContain(PAYLOAD);
    await page.goto("/ui/api-keys");
    await expectInert(page, "key list");
    expect(await page.locator("main").textContent()).toContain(PAYLOAD);
  });

  it("in the job form, its validation messages and the schedule preview", async () => {
    await page.goto("/ui/jobs/new");
    await fillJobForm(page, { name: PAYLOAD, url: `${stack.target.url}/x?q=${URL_PAYLOAD}`, cron: PAYLOAD, timezone: PAYLOAD, body: PAYLOAD });
    await page.locator("#schedule-preview").getByText(/unknown IANA timezone/).waitFor();
    await expectInert(page, "preview");
    await page.getByRole("button", { name: "Create job" }).click();
    await page.getByRole("alert").waitFor();
    await expectInert(page, "form with errors");
    expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe(PAYLOAD);
    expect(await page.getByLabel("Body (JSON)").inputValue()).toBe(PAYLOAD);
    expect(await page.locator("#f-timezone-error").textContent()).toContain("must be an IANA time zone");
  });

  it("on the list, detail, runs and run pages", async () => {
    jobId = await createJobViaForm(page, {
      name: PAYLOAD,
      url: `${stack.target.url}/x?q=${URL_PAYLOAD}`,
      cron: "0 0 1 1 *",
      headers: [
        ["X-Echo", PAYLOAD],
        ["X-Api-Key", PAYLOAD],
      ],
      body: JSON.stringify({ a: PAYLOAD, "</script><script>alert(5)</script>": [PAYLOAD] }),
    });
    await expectInert(page, "detail");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(PAYLOAD);
    expect(await page.locator("#configuration").textContent()).toContain(`X-Echo: ${PAYLOAD}`);

    await page.goto("/ui/jobs");
    await expectInert(page, "list");
    const row = page.locator(`#job-${jobId}`);
    expect(await row.getByRole("link").first().textContent()).toBe(PAYLOAD);
    // Trigger through htmx; the swapped row is inert too.
    await row.getByRole("button", { name: /^Run .* now$/ }).click();
    await row.getByText("Run queued.").waitFor();
    await expectInert(page, "row after trigger");

    // The run (its request echoes the payload in the URL, a header and the body; the response echoes them back).
    await until("the triggered run to finish", async () => (await stack.db.prisma.jobRun.count({ where: { jobId, status: "success" } })) > 0);
    await page.goto(`/ui/jobs/${jobId}`);
    await page.locator('#runs-panel tr[data-run-status="success"]').first().waitFor({ timeout: WAIT_MS });
    await expectInert(page, "detail with runs");
    await page.goto(`/ui/jobs/${jobId}/runs`);
    await expectInert(page, "runs");
    await page.locator('tr[data-run-status="success"] a').first().click();
    await page.waitForURL(/\/ui\/runs\//);
    await expectInert(page, "run");
    expect(await page.locator("#request").textContent()).toContain(URL_PAYLOAD);
    const response = await page.locator("#response").textContent();
    expect(response).toContain(`x-echo: ${PAYLOAD}`);
    expect(response).toContain(`"echo": ${JSON.stringify(PAYLOAD)}`);

    await page.goto(`/ui/jobs/${jobId}/edit`);
    await expectInert(page, "edit");
    expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe(PAYLOAD);
    await page.goto(`/ui/jobs/${jobId}/delete`);
    await expectInert(page, "delete confirmation");
    expect(pageErrors).toEqual([]);
  });
});
