/// <reference lib="dom" />
// The interactive API reference at /docs in a real browser: Scalar renders the operations under the server's CSP,
// with no CSP violation (blocked inline script, style or eval), and every other page keeps the strict policy.
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startStack, type Stack } from "./harness.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ prefix: "btick_ui_docs", withWorker: false });
}, 120_000);

afterAll(async () => {
  await stack?.close();
}, 60_000);

/** Collects CSP violations (DOM events) and console errors of a page from its first script on. */
async function watch(page: Page): Promise<{ violations: () => Promise<string[]>; consoleErrors: string[] }> {
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener("securitypolicyviolation", (e: SecurityPolicyViolationEvent) =>
      w.__violations.push(`${e.violatedDirective}: ${e.blockedURI} ${e.sample} @${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`),
    );
  });
  return { violations: () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), consoleErrors };
}

describe("/docs in a browser", { timeout: 120_000 }, () => {
  it("renders the operations of the OpenAPI document without CSP violations", async () => {
    const { page } = await stack.newPage();
    const seen = await watch(page);
    const res = await page.goto("/docs");
    expect(res?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe("/docs/");
    // Operation summaries from the document, rendered by Scalar.
    await page.getByText("Create a job").first().waitFor();
    await page.getByText("Replace the signing secret").first().waitFor();
    expect(await seen.violations()).toEqual([]);
    expect(seen.consoleErrors.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
    // The page is styled by Scalar's stylesheet, not left unstyled.
    const styled = await page.evaluate(() => document.querySelectorAll("style").length > 0 && getComputedStyle(document.body).margin === "0px");
    expect(styled).toBe(true);
  });

  it("relaxes only styles, and only on the docs page", async () => {
    const docsCsp = (await fetch(`${stack.baseUrl}/docs/`)).headers.get("content-security-policy") ?? "";
    expect(docsCsp).toContain("style-src 'self' 'unsafe-inline';");
    expect(docsCsp).toContain("script-src 'self';");
    for (const path of ["/", "/login", "/api/v1", "/docs/js/scalar.js", "/docs/init.js"]) {
      const csp = (await fetch(`${stack.baseUrl}${path}`)).headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("script-src 'self';");
      expect(csp, path).toContain("style-src 'self';");
      expect(csp, path).not.toContain("unsafe");
    }
  });
});
