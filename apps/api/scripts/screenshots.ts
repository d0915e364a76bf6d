// Regenerates docs/screenshots/*.png: the main web UI pages with realistic data, captured by Debian's chromium.
// Starts the same in-process stack as the browser tests (fresh database, API + UI on a loopback port, a worker, a
// local HTTP target), builds the Tailwind stylesheet first, and removes everything afterwards.
//
//   pnpm --filter @btick/api screenshots
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { SCOPES } from "@btick/auth";
import { createCaller, createContext } from "@btick/contract";


const apiDir = fileURLToPath(new URL("..", import.meta.url));
const outDir = fileURLToPath(new URL("../../../docs/screenshots/", import.meta.url));

function buildCss(): void {
  execFileSync("pnpm", ["exec", "tailwindcss", "-i", "src/app.css", "-o", "dist/public/app.css", "--minify"], { cwd: apiDir, stdio: "inherit" });
}

async function main(): Promise<void> {
  // Before the server modules load: they read the stylesheet once.
  buildCss();
  const { register, startStack, until, WAIT_MS } = await import("../test/browser/harness.ts");
  mkdirSync(outDir, { recursive: true });
  const stack = await startStack({ prefix: "btick_shots" });
  try {
    const { page } = await stack.newPage({ width: 1280, height: 860 });
    const shot = async (name: string, fullPage = true) => {
      await page.waitForLoadState("networkidle").catch(() => undefined);
      await page.screenshot({ path: `${outDir}${name}.png`, fullPage });
      console.log(`docs/screenshots/${name}.png`);
    };

    await page.goto("/");
    await shot("landing", false);

    const email = "ada@example.com";
    await register(page, email);
    const user = await stack.db.prisma.user.findUniqueOrThrow({ where: { email } });
    const api = createCaller(
      await createContext({ db: stack.db.prisma, principal: { kind: "user", id: user.id, tenantId: user.tenantId, scopes: SCOPES } }),
    );

    const t = stack.target.url;
    await api.jobs.create({ name: "Weekly usage report", method: "POST", url: "https://reports.example.com/weekly", cron_expression: "0 9 * * 1", timezone: "Europe/Berlin", enabled: false, body: { format: "pdf" } });
    await api.jobs.create({ name: "Cache warm-up", method: "GET", url: "https://www.example.com/warm?region=eu", cron_expression: "*/15 * * * *", timezone: "UTC" });
    const { job: sync } = await api.jobs.create({
      name: "Sync invoices to ledger",
      method: "POST",
      url: `${t}/flaky/invoices/sync`,
      headers: { Authorization: "Bearer sk_live_do_not_show", "X-Tenant": "acme" },
      body: { since: "1h", dry_run: false },
      cron_expression: "*/3 * * * * *",
      timezone: "America/New_York",
      retry_max: 2,
      timeout_seconds: 30,
    });
    const { job: crm } = await api.jobs.create({
      name: "Notify legacy CRM",
      method: "PUT",
      url: `${t}/fail/crm/contacts`,
      headers: { "X-Api-Key": "crm-key-123" },
      body: { full_sync: true },
      cron_expression: "*/4 * * * * *",
      timezone: "UTC",
    });
    const { job: ping } = await api.jobs.create({ name: "Health check ping", method: "GET", url: `${t}/slow/health`, cron_expression: "*/2 * * * * *", timezone: "Asia/Tokyo" });

    // Let the worker produce some history, including retried and failed runs.
    const runsOf = (jobId: string) => stack.db.prisma.jobRun.count({ where: { jobId, status: { not: "running" } } });
    await until("runs", async () => (await runsOf(sync.id)) >= 12 && (await runsOf(ping.id)) >= 12, 120_000);
    await until("failed runs", async () => (await stack.db.prisma.jobRun.count({ where: { jobId: crm.id, status: "failed" } })) >= 3);
    await api.jobs.pause({ jobId: ping.id });
    await api.jobs.pause({ jobId: crm.id });
    await until("in-flight runs to finish", async () => (await stack.db.prisma.jobRun.count({ where: { status: "running" } })) === 0, WAIT_MS);

    await page.goto("/ui/jobs");
    await page.locator("time[data-local-applied]").first().waitFor();
    await shot("jobs");

    await page.goto(`/ui/jobs/${sync.id}`);
    await page.locator("#duration-chart rect").first().waitFor();
    await shot("job-detail");

    const retried = await stack.db.prisma.jobRun.findFirst({ where: { jobId: sync.id, attemptNumber: { gt: 1 }, status: "success" }, orderBy: { startedAt: "desc" } });
    const anyRun = retried ?? (await stack.db.prisma.jobRun.findFirstOrThrow({ where: { jobId: sync.id }, orderBy: { startedAt: "desc" } }));
    await page.goto(`/ui/runs/${anyRun.id}`);
    await shot("run");

    await page.goto("/ui/jobs/new");
    await page.getByLabel("Name", { exact: true }).fill("Nightly backup");
    await page.getByLabel("URL", { exact: true }).fill("https://backup.example.com/hooks/start");
    await page.getByLabel("Cron expression").fill("30 2 * * *");
    await page.getByLabel("Timezone").fill("Europe/Berlin");
    await page.locator("#schedule-preview").getByText("At 02:30").waitFor();
    await shot("job-form");

    await page.goto("/ui/api-keys/new");
    await page.getByLabel("Name", { exact: true }).fill("CI deploy");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.locator("#raw-key").waitFor();
    await page.goto("/ui/api-keys");
    await shot("api-keys");

    const { page: phone } = await stack.newPage({ width: 390, height: 844 });
    await phone.goto("/login");
    await phone.getByLabel("Email").fill(email);
    await phone.getByLabel("Password").fill("correct horse battery staple");
    await phone.getByRole("button", { name: "Sign in" }).click();
    await phone.waitForURL("**/ui/jobs");
    await phone.locator("time[data-local-applied]").first().waitFor();
    await phone.screenshot({ path: `${outDir}jobs-phone.png`, fullPage: false });
    console.log("docs/screenshots/jobs-phone.png");
    await phone.goto(`/ui/jobs/${sync.id}`);
    await phone.waitForLoadState("networkidle").catch(() => undefined);
    await phone.screenshot({ path: `${outDir}job-detail-phone.png`, fullPage: false });
    console.log("docs/screenshots/job-detail-phone.png");
  } finally {
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
