/// <reference lib="dom" />
// Real-browser harness: the API (with the web UI) listening on an ephemeral loopback port over a fresh database,
// a worker running in-process in continuous mode, a local HTTP target for jobs to call, and Debian's chromium
// driven by playwright-core. Shared by the browser tests and scripts/screenshots.ts.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import type { FastifyInstance } from "fastify";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

import { DEFAULT_JOB_LIMITS } from "@btick/contract";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { createWorker, type Worker } from "../../../worker/src/worker.ts";
import { buildServer } from "../../src/server.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"];

/** Generous: the suite must pass on a loaded 2-core machine. Waits are on conditions, never fixed sleeps. */
export const WAIT_MS = 45_000;

export interface TargetRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface Target {
  /** http://127.0.0.1:<port> */
  url: string;
  requests: TargetRequest[];
  close(): Promise<void>;
}

/**
 * A local HTTP endpoint: answers JSON `{"ok": true, "seen": n, "path": …}` (echoing an `X-Echo` request header as a
 * response header and as `echo` in the body) and records what it received. Paths starting with /fail answer 500,
 * /flaky fails half of its requests with 503 in a fixed pattern, /slow and /flaky answer after 20-400 ms.
 */
export async function startTarget(): Promise<Target> {
  const requests: TargetRequest[] = [];
  let flakySeen = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const seen = requests.length;
      const path = req.url ?? "/";
      const echo = req.headers["x-echo"];
      // /fail: always 500. /flaky: requests 3, 4, 5 and 7 of every 8 fail with 503 (with two retries: some runs
      // fail after three attempts, some succeed on the second). /slow and /flaky answer after 20-400 ms.
      const flakyCount = path.startsWith("/flaky") ? ++flakySeen : 0;
      const status = path.startsWith("/fail") ? 500 : path.startsWith("/flaky") && [3, 4, 5, 7].includes(flakyCount % 8) ? 503 : 200;
      const delay = path.startsWith("/slow") || path.startsWith("/flaky") ? 20 + Math.floor(Math.random() * 380) : 0;
      setTimeout(() => {
        res.writeHead(status, { "content-type": "application/json", "x-target": "btick-test", ...(typeof echo === "string" ? { "x-echo": echo } : {}) });
        res.end(JSON.stringify({ ok: status === 200, seen, path, ...(typeof echo === "string" ? { echo } : {}) }));
      }, delay);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Stack {
  db: TestDatabase;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> of the API + UI. */
  baseUrl: string;
  worker: Worker;
  target: Target;
  browser: Browser;
  /** A fresh browser context (own cookies) with a page; closed by close(). */
  newPage(opts?: { width?: number; height?: number }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export async function startStack(opts: { prefix?: string; withWorker?: boolean } = {}): Promise<Stack> {
  const db = await createTestDatabase(opts.prefix ?? "btick_ui");
  // Jobs here call the loopback target, so both the API and the worker allow private networks.
  const app = await buildServer({
    db: db.prisma,
    limits: { ...DEFAULT_JOB_LIMITS, allowPrivateNetworks: true },
    ui: { throttle: { loginPerIp: 1000, loginPerAccount: 1000, registerPerIp: 1000 } },
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  const target = await startTarget();
  const worker = createWorker({
    db: db.prisma,
    listenUrl: db.url,
    options: { workerId: `ui-test-${process.pid}`, allowPrivateNetworks: true, pollIntervalMs: 500, taskLogPath: null, shutdownGraceMs: 2000, retryBaseMs: 100, retryCapMs: 500 },
  });
  if (opts.withWorker !== false) await worker.start();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const contexts: BrowserContext[] = [];
  return {
    db,
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    worker,
    target,
    browser,
    async newPage(size = {}) {
      const context = await browser.newContext({
        baseURL: `http://127.0.0.1:${port}`,
        viewport: { width: size.width ?? 1280, height: size.height ?? 900 },
        timezoneId: "America/New_York",
        locale: "en-US",
      });
      context.setDefaultTimeout(WAIT_MS);
      contexts.push(context);
      return { context, page: await context.newPage() };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await worker.stop({ graceMs: 1000 }).catch(() => undefined);
      await app.close();
      await target.close();
      await db.drop();
    },
  };
}

/** Registers a new account through the UI; the page ends signed in on /ui/jobs. */
export async function register(page: Page, email: string, password = "correct horse battery staple"): Promise<void> {
  await page.goto("/register");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/ui/jobs");
}

export async function login(page: Page, email: string, password = "correct horse battery staple"): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/ui/jobs");
}

export interface NewJob {
  name: string;
  method?: string;
  url: string;
  cron: string;
  timezone?: string;
  headers?: [string, string][];
  body?: string;
  retries?: string;
}

/** Fills the new-job form and submits it; returns the created job's id (the page ends on its detail page). */
export async function createJobViaForm(page: Page, job: NewJob): Promise<string> {
  await page.goto("/ui/jobs/new");
  await fillJobForm(page, job);
  await page.getByRole("button", { name: "Create job" }).click();
  await page.waitForURL(/\/ui\/jobs\/[0-9a-f-]{36}$/);
  return new URL(page.url()).pathname.split("/").pop() ?? "";
}

export async function fillJobForm(page: Page, job: Partial<NewJob>): Promise<void> {
  if (job.name !== undefined) await page.getByLabel("Name", { exact: true }).fill(job.name);
  if (job.method !== undefined) await page.getByLabel("Method").selectOption(job.method);
  if (job.url !== undefined) await page.getByLabel("URL", { exact: true }).fill(job.url);
  for (const [i, [name, value]] of (job.headers ?? []).entries()) {
    let names = page.locator('input[name="header_name"]');
    if ((await names.count()) <= i) {
      await page.getByRole("button", { name: "Add header" }).click();
      await page.waitForFunction((n) => document.querySelectorAll('input[name="header_name"]').length > n, i);
      names = page.locator('input[name="header_name"]');
    }
    await names.nth(i).fill(name);
    await page.locator('input[name="header_value"]').nth(i).fill(value);
  }
  if (job.body !== undefined) await page.getByLabel("Body (JSON)").fill(job.body);
  if (job.cron !== undefined) await page.getByLabel("Cron expression").fill(job.cron);
  if (job.timezone !== undefined) await page.getByLabel("Timezone").fill(job.timezone);
  if (job.retries !== undefined) await page.getByLabel("Retries").fill(job.retries);
}

/** Polls until `check` holds (no fixed sleeps in tests: conditions with a generous deadline). */
export async function until(what: string, check: () => Promise<boolean>, ms = WAIT_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
