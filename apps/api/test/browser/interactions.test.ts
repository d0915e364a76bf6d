/// <reference lib="dom" />
// htmx interactions in a real browser: keyboard focus survives row actions, deleting the last job shows the empty
// state, Back after a live search restores the search box with its results, and the job page stops polling once
// its job is deleted elsewhere.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createJobViaForm, register, startStack, type Stack } from "./harness.ts";

let stack: Stack;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startStack({ prefix: "btick_ui_interactions", withWorker: false });
  ({ page } = await stack.newPage());
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("dialog", (d) => void d.accept());
  await register(page, `interactions-${Date.now()}@example.test`);
}, 120_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

const activeId = (p: Page) => p.evaluate(() => document.activeElement?.id ?? "");
/** The focused element's accessible label (aria-label, else its text) and the id of its table row. */
const focused = (p: Page) =>
  p.evaluate(() => {
    const el = document.activeElement;
    return { label: el?.getAttribute("aria-label") ?? el?.textContent?.trim() ?? "", row: el?.closest("tr")?.id ?? "", tag: el?.tagName ?? "" };
  });

describe("htmx interactions", { timeout: 180_000 }, () => {
  it("keeps keyboard focus on the row's control after Pause, Resume and Run now", async () => {
    const id = await createJobViaForm(page, { name: "focus job", url: `${stack.target.url}/focus`, cron: "0 0 1 1 *" });
    await page.goto("/ui/jobs");
    const row = page.locator(`#job-${id}`);
    // Keyboard only: focus the control, press Enter.
    await row.getByRole("button", { name: "Pause focus job" }).focus();
    await page.keyboard.press("Enter");
    await row.getByRole("button", { name: "Resume focus job" }).waitFor();
    expect(await focused(page)).toEqual({ label: "Resume focus job", row: `job-${id}`, tag: "BUTTON" });
    await page.keyboard.press("Enter");
    await row.getByRole("button", { name: "Pause focus job" }).waitFor();
    expect(await focused(page)).toEqual({ label: "Pause focus job", row: `job-${id}`, tag: "BUTTON" });
    await row.getByRole("button", { name: "Run focus job now" }).focus();
    await page.keyboard.press("Enter");
    await row.getByText("Run queued.").waitFor();
    expect(await focused(page)).toEqual({ label: "Run focus job now", row: `job-${id}`, tag: "BUTTON" });
  });

  it("moves focus to the notice after deleting the last job, which leaves the empty state", async () => {
    await page.goto("/ui/jobs");
    await page.getByRole("button", { name: "Delete focus job" }).focus();
    await page.keyboard.press("Enter");
    await page.getByText("No jobs yet.").waitFor();
    await page.locator("#flash").getByText("Job “focus job” deleted.").waitFor();
    expect(await page.locator("#jobs-table table").count()).toBe(0);
    expect(await activeId(page)).toBe("flash");
  });

  it("keeps focus in the key's row after revoking it", async () => {
    await page.goto("/ui/api-keys/new");
    await page.getByLabel("Name", { exact: true }).fill("focus key");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.locator("#raw-key").waitFor();
    await page.goto("/ui/api-keys");
    const keyRow = page.locator("tr[id^=key-]").filter({ hasText: "focus key" });
    const rowId = (await keyRow.getAttribute("id")) ?? "";
    await keyRow.getByRole("button", { name: "Revoke key focus key" }).focus();
    await page.keyboard.press("Enter");
    await keyRow.getByText("Revoked", { exact: true }).first().waitFor();
    expect((await focused(page)).row).toBe(rowId);
  });

  it("restores the search term with its results on Back", async () => {
    for (const name of ["alpha one", "alpha two", "beta"]) await createJobViaForm(page, { name, url: `${stack.target.url}/s`, cron: "0 0 1 1 *" });
    await page.goto("/ui/jobs");
    const rows = page.locator("#jobs-table tbody tr");
    await page.getByLabel("Search by name").fill("alpha");
    await page.waitForURL(/[?&]q=alpha(&|$)/);
    await page.waitForFunction(() => document.querySelectorAll("#jobs-table tbody tr").length === 2);
    await page.getByLabel("Search by name").fill("alpha two");
    await page.waitForURL(/[?&]q=alpha(\+|%20)two(&|$)/);
    await page.waitForFunction(() => document.querySelectorAll("#jobs-table tbody tr").length === 1);
    await page.goBack();
    await page.waitForURL(/[?&]q=alpha(&|$)/);
    await page.waitForFunction(() => document.querySelectorAll("#jobs-table tbody tr").length === 2);
    expect(await page.getByLabel("Search by name").inputValue()).toBe("alpha");
    expect(await rows.count()).toBe(2);
    await page.goBack();
    await page.waitForURL((url) => url.pathname === "/ui/jobs" && url.search === "");
    await page.waitForFunction(() => document.querySelectorAll("#jobs-table tbody tr").length === 3);
    expect(await page.getByLabel("Search by name").inputValue()).toBe("");
  });

  it("stops polling with a notice when the job is deleted elsewhere", async () => {
    const id = await createJobViaForm(page, { name: "gone soon", url: `${stack.target.url}/g`, cron: "0 0 1 1 *" });
    // ?watch=N polls the runs panel (as after "Run now").
    await page.goto(`/ui/jobs/${id}?watch=15`);
    await page.locator('#runs-panel[data-polling="true"]').waitFor();
    await stack.db.prisma.job.delete({ where: { id } });
    await page.getByText("This job no longer exists").waitFor();
    expect(await page.locator("#runs-panel").getAttribute("data-polling")).toBe("false");
    expect(await page.locator("#runs-panel").getAttribute("hx-trigger")).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
