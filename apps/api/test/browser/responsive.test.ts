/// <reference lib="dom" />
// Phone widths: no page is wider than a 390 px viewport (the document never scrolls sideways; wide tables scroll
// inside their own box), even with 200-character unbroken names, key names and URLs; account and sign-out are
// reachable from the header.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { buildDevCss } from "../../src/ui/assets.ts";
import { createJobViaForm, register, startStack, type Stack } from "./harness.ts";

const WIDTH = 390;
const LONG = "x".repeat(200);

let stack: Stack;
let page: Page;
let jobId = "";
let longJobId = "";
let runId = "";

beforeAll(async () => {
  // Layout needs the real stylesheet (tests otherwise run without a build): compile it as `pnpm start` does.
  const problem = buildDevCss();
  if (problem) throw new Error(`could not build the UI stylesheet: ${problem}`);
  stack = await startStack({ prefix: "btick_ui_responsive", withWorker: false });
  ({ page } = await stack.newPage({ width: WIDTH, height: 844 }));
  await register(page, `phone-${Date.now()}@example.test`);
  jobId = await createJobViaForm(page, { name: "short name", url: `${stack.target.url}/hook`, cron: "0 0 1 1 *" });
  longJobId = await createJobViaForm(page, {
    name: `N${LONG.slice(1)}`,
    url: `${stack.target.url}/${LONG}?q=${LONG}`,
    cron: "0 0 1 1 *",
    headers: [[`X-${LONG.slice(0, 100)}`, LONG]],
    body: JSON.stringify({ [LONG]: LONG }),
  });
  const job = await stack.db.prisma.job.findUniqueOrThrow({ where: { id: longJobId } });
  const run = await stack.db.prisma.jobRun.create({
    data: {
      jobId: longJobId,
      tenantId: job.tenantId,
      triggerType: "manual",
      scheduledFor: new Date(),
      status: "failed",
      attemptNumber: 1,
      maxAttempts: 1,
      requestMethod: "POST",
      requestUrl: job.url,
      requestHeaders: job.headers ?? {},
      requestBody: job.body ?? undefined,
      responseStatusCode: 500,
      responseHeaders: { [`x-${LONG}`]: [LONG] },
      responseBody: LONG,
      responseBodyBytes: 200,
      errorMessage: `received non-2xx status code 500 ${LONG}`,
      finishedAt: new Date(),
      durationMs: 12,
      attempts: { create: { attemptNumber: 1, outcome: "http_error", responseStatusCode: 500, errorMessage: LONG, startedAt: new Date(), finishedAt: new Date(), durationMs: 12 } },
    },
  });
  runId = run.id;
  await page.goto("/ui/api-keys/new");
  await page.getByLabel("Name", { exact: true }).fill(`K${LONG.slice(1)}`);
  await page.getByRole("button", { name: "Create key" }).click();
  await page.locator("#raw-key").waitFor();
}, 180_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

async function pageWidth(p: Page): Promise<{ scroll: number; viewport: number }> {
  return p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
}

describe(`pages at ${WIDTH} px`, { timeout: 180_000 }, () => {
  it("never make the document wider than the viewport", async () => {
    const paths = [
      "/",
      "/ui/jobs",
      "/ui/jobs?q=short",
      `/ui/jobs/${jobId}`,
      `/ui/jobs/${longJobId}`,
      `/ui/jobs/${longJobId}/runs`,
      `/ui/runs/${runId}`,
      `/ui/jobs/${longJobId}/edit`,
      `/ui/jobs/${longJobId}/delete`,
      "/ui/jobs/new",
      "/ui/api-keys",
      "/ui/api-keys/new",
      "/ui/account",
      "/docs/",
    ];
    const wide: string[] = [];
    for (const path of paths) {
      await page.goto(path);
      if (path === "/docs/") await page.getByText("Create a job").first().waitFor({ state: "attached" });
      const { scroll, viewport } = await pageWidth(page);
      expect(viewport).toBe(WIDTH);
      if (scroll > viewport) wide.push(`${path}: ${scroll} px`);
    }
    expect(wide).toEqual([]);
  });

  it("offers the account page and sign-out in the header", async () => {
    await page.goto("/ui/jobs");
    const header = page.locator("header");
    const account = header.getByRole("link", { name: /account/i });
    expect(await account.isVisible()).toBe(true);
    expect(await header.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);
    await account.click();
    await page.waitForURL("**/ui/account");
    await page.getByRole("heading", { name: "Change password" }).waitFor();
  });
});
