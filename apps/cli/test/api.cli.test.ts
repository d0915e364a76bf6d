// Runs the real `btick` binary as a subprocess against a live API server: login (config file 0600), jobs, runs and
// keys commands with table and --json output, and API errors with non-zero exit codes.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { buildServer } from "@btick/api/src/server.ts";
import { addApiKey, createTenantWithKey, type TestPrincipal } from "@btick/contract/testing";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

const bin = fileURLToPath(new URL("../bin/btick.js", import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let db: TestDatabase;
let app: Awaited<ReturnType<typeof buildServer>>;
let baseUrl: string;
let owner: TestPrincipal;
let home: string;

function btick(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: { PATH: process.env["PATH"], HOME: home, XDG_CONFIG_HOME: join(home, "config"), ...opts.env } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(opts.input ?? "");
  });
}

const configFile = () => join(home, "config", "btick", "config.json");

/**
 * Runs the binary on a pseudo-terminal (util-linux `script`), typing each answer once its prompt has appeared.
 * Returns everything the terminal showed: what the program wrote and what the terminal echoed.
 */
function btickInTerminal(args: string[], answers: [prompt: string, answer: string][]): Promise<{ code: number | null; screen: string }> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-q", "-e", "-c", [process.execPath, bin, ...args].map(quote).join(" "), "/dev/null"], {
      env: { PATH: process.env["PATH"], HOME: home, XDG_CONFIG_HOME: join(home, "config"), TERM: "dumb" },
    });
    let screen = "";
    let from = 0;
    let next = 0;
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`terminal session timed out; screen so far:\n${screen}`));
    }, 30_000);
    child.stdout.on("data", (chunk: Buffer) => {
      screen += chunk.toString("utf8");
      const pending = answers[next];
      if (!pending) return;
      const at = screen.indexOf(pending[0], from);
      if (at < 0) return;
      from = at + pending[0].length;
      next++;
      child.stdin.write(`${pending[1]}\r`);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "btick-cli-home-"));
  db = await createTestDatabase("btick_cli_api");
  owner = await createTenantWithKey(db.prisma);
  app = await buildServer({ db: db.prisma });
  baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
  rmSync(home, { recursive: true, force: true });
});

describe("btick login", () => {
  it("refuses to run API commands before login", async () => {
    const r = await btick(["jobs", "list"]);
    expect(r).toMatchObject({ code: 1, stdout: "" });
    expect(r.stderr).toBe("error: not logged in: run `btick login` (or set BTICK_BASE_URL and BTICK_API_KEY)\n");
  });

  it("rejects a bad key and an unreachable server, saving nothing", async () => {
    const bad = await btick(["login", "--base-url", baseUrl, "--api-key", "skd_000000000000_notarealsecretnotarealsecret12"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`error: cannot log in to ${baseUrl}: invalid api key\n`);
    const down = await btick(["login", "--base-url", "http://127.0.0.1:1", "--api-key", owner.rawKey]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: cannot log in to http:\/\/127\.0\.0\.1:1: .*network error/);
    expect(() => statSync(configFile())).toThrow();
  });

  it("asks for the URL and key on stdin, verifies them and saves them with 0600 permissions", async () => {
    const r = await btick(["login"], { input: `${baseUrl}/\n${owner.rawKey}\n` });
    expect(r.stderr).toBe("API base URL: API key: ");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`logged in to ${baseUrl} (key ${owner.keyPrefix}…); saved to ${configFile()}\n`);
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(configFile(), "utf8"))).toEqual({ base_url: baseUrl, api_key: owner.rawKey });
  });

  it("does not echo the API key typed at the prompt on a terminal", async () => {
    const r = await btickInTerminal(["login"], [
      ["API base URL: ", baseUrl],
      ["API key: ", owner.rawKey],
    ]);
    expect(r.screen).toContain(`API base URL: ${baseUrl}`); // the URL is echoed as typed
    expect(r.screen).toContain("API key: ");
    expect(r.screen).not.toContain(owner.rawKey);
    expect(r.screen).not.toContain(owner.rawKey.slice(-12));
    expect(r.screen).toContain(`logged in to ${baseUrl} (key ${owner.keyPrefix}…)`);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(configFile(), "utf8"))).toEqual({ base_url: baseUrl, api_key: owner.rawKey });
  });

  it("accepts a valid key without jobs:read (403 proves the key is valid)", async () => {
    const key = await addApiKey(db.prisma, owner.tenantId, ["runs:read"]);
    const other = mkdtempSync(join(tmpdir(), "btick-cli-other-"));
    const r = await btick(["login", "--base-url", baseUrl, "--api-key", key.rawKey], { env: { XDG_CONFIG_HOME: other } });
    expect(r.code).toBe(0);
    expect(statSync(join(other, "btick", "config.json")).mode & 0o777).toBe(0o600);
    rmSync(other, { recursive: true, force: true });
  });
});

describe("btick jobs, runs and keys", () => {
  let jobId = "";

  it("creates a job (table and --json)", async () => {
    const r = await btick([
      "jobs", "create", "--name", "cli job", "--method", "post", "--url", "https://example.com/hook", "--cron", "*/5 * * * *",
      "--timezone", "Europe/Berlin", "--header", "X-Source: cli", "--body", '{"a":1}', "--retry-max", "2", "--json",
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { job } = JSON.parse(r.stdout) as { job: { id: string; method: string; headers: object; body: unknown; retry_max: number } };
    expect(job).toMatchObject({ method: "POST", headers: { "X-Source": "cli" }, body: { a: 1 }, retry_max: 2 });
    jobId = job.id;

    const table = await btick(["jobs", "create", "--name", "second", "--method", "GET", "--url", "https://example.com/2", "--cron", "0 * * * *", "--disabled"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^id\s+[0-9a-f-]{36}$/m);
    expect(table.stdout).toMatch(/^enabled\s+false$/m);
    // The signing secret is part of the create answer only: the table shows it once, with a note.
    expect(table.stdout).toMatch(/\n\nsigning secret: whsec_[A-Za-z0-9+/]+=*\n\(shown only once: store it now; the job's requests are signed with it\)\n$/);
    expect(table.stdout.match(/whsec_/g)).toHaveLength(1);
  });

  it("lists jobs as a table, as JSON, filtered and across pages", async () => {
    const t = await btick(["jobs", "list"]);
    expect(t.code).toBe(0);
    const lines = t.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+METHOD\s+SCHEDULE\s+TIMEZONE\s+ENABLED\s+NEXT RUN\s+URL$/);
    expect(lines).toHaveLength(3);
    expect(t.stdout).toContain("cli job");

    const j = JSON.parse((await btick(["jobs", "list", "--enabled", "false", "--json"])).stdout) as { jobs: { name: string }[]; next_cursor: null };
    expect(j.jobs.map((x) => x.name)).toEqual(["second"]);

    const page = await btick(["jobs", "list", "--limit", "1"]);
    expect(page.stdout).toMatch(/^next page: --cursor \S+$/m);
    const all = JSON.parse((await btick(["jobs", "list", "--limit", "1", "--all", "--json"])).stdout) as { jobs: unknown[] };
    expect(all.jobs).toHaveLength(2);
  });

  it("sets the scheduling policies and run limit on create and update", async () => {
    const created = await btick([
      "jobs", "create", "--name", "policies", "--method", "POST", "--url", "https://example.com/p", "--cron", "0 * * * *", "--disabled",
      "--concurrency-policy", "allow", "--misfire-policy", "catch_up", "--misfire-catch-up-max", "5", "--max-runs", "100", "--json",
    ]);
    expect(created.stderr).toBe("");
    const { job } = JSON.parse(created.stdout) as { job: { id: string } };
    expect(job).toMatchObject({ concurrency_policy: "allow", misfire_policy: "catch_up", misfire_catch_up_max: 5, max_runs: 100 });
    const updated = await btick(["jobs", "update", job.id, "--concurrency-policy", "replace", "--misfire-policy", "skip", "--max-runs", "none", "--json"]);
    expect(JSON.parse(updated.stdout).job).toMatchObject({ concurrency_policy: "replace", misfire_policy: "skip", misfire_catch_up_max: 5, max_runs: null });
    const bad = await btick(["jobs", "update", job.id, "--concurrency-policy", "sometimes"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/argument 'sometimes' is invalid\. Allowed choices are forbid, allow, replace/);
    const badMethod = await btick(["jobs", "update", job.id, "--method", "fetch"]);
    expect(badMethod).toMatchObject({ code: 1, stderr: 'error: --method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, got "fetch"\n' });
    await btick(["jobs", "delete", job.id]);
  });

  it("--body null means no body (JSON merge patch), on create and update", async () => {
    const post = await btick(["jobs", "create", "--name", "nobody", "--method", "POST", "--url", "https://example.com/n", "--cron", "0 * * * *", "--body", "null", "--disabled", "--json"]);
    expect(post.stderr).toBe("");
    const { job } = JSON.parse(post.stdout) as { job: { id: string; body: unknown } };
    expect(job.body).toBeNull();
    const get = await btick(["jobs", "create", "--name", "get", "--method", "GET", "--url", "https://example.com/g", "--cron", "0 * * * *", "--body", "null", "--disabled", "--json"]);
    expect(get.stderr).toBe("");
    expect(JSON.parse(get.stdout).job.body).toBeNull();
    await btick(["jobs", "update", job.id, "--body", '{"a":[1,2]}']);
    expect(JSON.parse((await btick(["jobs", "update", job.id, "--body", "null", "--json"])).stdout).job.body).toBeNull();
    expect(JSON.parse((await btick(["jobs", "update", job.id, "--body", '""', "--json"])).stdout).job.body).toBe("");
    for (const id of [job.id, JSON.parse(get.stdout).job.id as string]) await btick(["jobs", "delete", id]);
  });

  it("update: --header replaces every header, --add-header and --remove-header edit some", async () => {
    const created = await btick([
      "jobs", "create", "--name", "headers", "--method", "POST", "--url", "https://example.com/h", "--cron", "0 * * * *", "--disabled",
      "--header", "X-A: 1", "--header", "Authorization: Bearer s3cret", "--json",
    ]);
    const id = (JSON.parse(created.stdout) as { job: { id: string } }).job.id;
    const headers = async () => (JSON.parse((await btick(["jobs", "get", id, "--json"])).stdout) as { job: { headers: Record<string, string> } }).job.headers;
    expect(await headers()).toEqual({ "X-A": "1", Authorization: "***" });

    expect((await btick(["jobs", "update", id, "--add-header", "X-B: 2", "--add-header", "x-a: one"])).code).toBe(0);
    expect(await headers()).toEqual({ "x-a": "one", Authorization: "***", "X-B": "2" });
    const stored = await db.prisma.job.findUniqueOrThrow({ where: { id } });
    expect(JSON.stringify(stored)).not.toContain("s3cret"); // still encrypted, and still there:
    expect(JSON.stringify(stored.secretHeaders)).toMatch(/Authorization/);

    expect((await btick(["jobs", "update", id, "--remove-header", "authorization"])).code).toBe(0);
    expect(await headers()).toEqual({ "x-a": "one", "X-B": "2" });
    expect(await btick(["jobs", "update", id, "--remove-header", "X-Nope"])).toMatchObject({ code: 1, stderr: 'error: --remove-header: the job has no header "X-Nope"\n' });
    expect((await btick(["jobs", "update", id, "--header", "X-C: 3", "--add-header", "X-D: 4"])).stderr).toBe(
      "error: --header replaces all headers; give either it or --add-header/--remove-header\n",
    );

    expect((await btick(["jobs", "update", id, "--header", "X-C: 3"])).code).toBe(0);
    expect(await headers()).toEqual({ "X-C": "3" });
    const help = (await btick(["jobs", "update", "--help"])).stdout.replace(/\s+/g, " ");
    expect(help).toContain("--header <name: value> replace ALL the job's headers with these");
    await btick(["jobs", "delete", id]);
  });

  it("rotates a job's signing secret, printing the new one once", async () => {
    const created = JSON.parse((await btick(["jobs", "create", "--name", "rotate", "--method", "POST", "--url", "https://example.com/r", "--cron", "0 * * * *", "--disabled", "--json"])).stdout) as {
      job: { id: string };
      signing_secret: string;
    };
    const id = created.job.id;
    const r = await btick(["jobs", "rotate-secret", id, "--previous-expires-in", "3600"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^rotated the signing secret of job ${id}; requests also carry a signature made with the previous secret until \\d{4}-\\d\\d-\\d\\dT[^\\n]+\\n\\nsigning secret: whsec_\\S+\\n\\(shown only once`),
    );
    expect(r.stdout).not.toContain(created.signing_secret);
    const now = await btick(["jobs", "rotate-secret", id, "--previous-expires-in", "0", "--json"]);
    const out = JSON.parse(now.stdout) as { job: { signing_secret_previous_expires_at: string | null }; signing_secret: string };
    expect(out.job.signing_secret_previous_expires_at).toBeNull();
    expect(out.signing_secret).toMatch(/^whsec_/);
    expect((await btick(["jobs", "rotate-secret", id, "--previous-expires-in", "0"])).stdout).toMatch(/; the previous secret no longer signs requests\n/);
    expect(await btick(["jobs", "rotate-secret", "00000000-0000-4000-8000-000000000000"])).toMatchObject({ code: 1, stderr: "error: 404 NOT_FOUND: job not found\n" });
    await btick(["jobs", "delete", id]);
  });

  it("gets, updates, pauses, resumes and triggers a job", async () => {
    expect((await btick(["jobs", "get", jobId])).stdout).toMatch(/^name\s+cli job$/m);
    const upd = JSON.parse((await btick(["jobs", "update", jobId, "--name", "renamed", "--clear-body", "--json"])).stdout) as { job: { name: string; body: unknown } };
    expect(upd.job).toMatchObject({ name: "renamed", body: null });
    expect((await btick(["jobs", "pause", jobId])).stdout).toBe(`paused job ${jobId} (next run: -)\n`);
    expect((await btick(["jobs", "resume", jobId])).stdout).toMatch(new RegExp(`^resumed job ${jobId} \\(next run: \\d{4}-`));
    const trig = await btick(["jobs", "trigger", jobId]);
    expect(trig.stdout).toMatch(/^manual trigger accepted \(trigger [0-9a-f-]{36}\)\n$/);
    expect(await db.prisma.manualTrigger.count({ where: { jobId } })).toBe(1);
  });

  it("lists and shows runs", async () => {
    const run = await db.prisma.jobRun.create({
      data: {
        jobId, tenantId: owner.tenantId, scheduledFor: new Date("2026-01-01T00:00:00Z"), status: "failed", attemptNumber: 1, maxAttempts: 1,
        requestMethod: "POST", requestUrl: "https://example.com/hook", responseStatusCode: 503, errorMessage: "HTTP 503", durationMs: 12,
        finishedAt: new Date("2026-01-01T00:00:00.012Z"),
        attempts: { create: [{ attemptNumber: 1, outcome: "http_error", responseStatusCode: 503, errorMessage: "HTTP 503", startedAt: new Date("2026-01-01T00:00:00Z"), finishedAt: new Date("2026-01-01T00:00:00.012Z"), durationMs: 12 }] },
      },
    });
    const t = await btick(["runs", "list", jobId, "--status", "failed"]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^ID\s+TRIGGER\s+SCHEDULED FOR\s+STATUS/);
    expect(t.stdout).toContain(run.id);
    expect(t.stdout).toContain("HTTP 503");
    const j = JSON.parse((await btick(["runs", "list", jobId, "--all", "--json"])).stdout) as { runs: { id: string }[] };
    expect(j.runs.map((r) => r.id)).toEqual([run.id]);
    const got = await btick(["runs", "get", run.id]);
    expect(got.stdout).toMatch(/^status\s+failed$/m);
    expect(got.stdout).toMatch(/^attempts:\n#\s+OUTCOME/m);
    expect(JSON.parse((await btick(["runs", "get", run.id, "--json"])).stdout)).toMatchObject({ run: { id: run.id, attempts: [{ outcome: "http_error" }] } });
    const bad = await btick(["runs", "list", jobId, "--status", "weird"]);
    expect(bad.code).not.toBe(0);
  });

  it("filters runs by every status the API has", async () => {
    const statuses = ["running", "success", "failed", "lost", "skipped", "cancelled", "blocked_by_policy"] as const;
    const ids = new Map<string, string>();
    for (const [i, status] of statuses.entries()) {
      const run = await db.prisma.jobRun.create({
        data: {
          jobId, tenantId: owner.tenantId, scheduledFor: new Date(Date.UTC(2026, 1, 1, 0, i)), status, attemptNumber: 1, maxAttempts: 1,
          requestMethod: "POST", requestUrl: "https://example.com/hook",
        },
      });
      ids.set(status, run.id);
    }
    for (const status of statuses) {
      const r = await btick(["runs", "list", jobId, "--status", status, "--all", "--json"]);
      expect(r.stderr, status).toBe("");
      const runs = (JSON.parse(r.stdout) as { runs: { id: string; status: string }[] }).runs;
      expect(runs.map((x) => x.id), status).toContain(ids.get(status));
      expect(new Set(runs.map((x) => x.status)), status).toEqual(new Set([status]));
    }
    const help = (await btick(["runs", "list", "--help"])).stdout.replace(/\s+/g, " ");
    expect(help).toContain('choices: "running", "success", "failed", "lost", "skipped", "cancelled", "blocked_by_policy"');
  });

  it("passes --limit 0 to the API and shows its answer", async () => {
    const message = "error: 400 INVALID_REQUEST: Validation failed\n  limit: must be an integer between 1 and 500\n";
    expect(await btick(["jobs", "list", "--limit", "0"])).toMatchObject({ code: 1, stdout: "", stderr: message });
    expect(await btick(["runs", "list", jobId, "--limit", "0"])).toMatchObject({ code: 1, stdout: "", stderr: message });
    expect(await btick(["keys", "list", "--limit", "0", "--all"])).toMatchObject({ code: 1, stdout: "", stderr: message });
  });

  it("creates, lists and revokes keys", async () => {
    const created = await btick(["keys", "create", "--name", "ci", "--scopes", "jobs:read,jobs:trigger"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^skd_[0-9a-f]{12}_\S+\n$/);
    expect(created.stderr).toMatch(/^created API key "ci" \(skd_[0-9a-f]{12}, scopes jobs:read,jobs:trigger\)/);
    const list = JSON.parse((await btick(["keys", "list", "--json"])).stdout) as { api_keys: { id: string; name: string }[] };
    const ci = list.api_keys.find((k) => k.name === "ci");
    expect(ci).toBeDefined();
    expect((await btick(["keys", "list"])).stdout).toMatch(/^ID\s+NAME\s+PREFIX\s+STATE/);
    const revoked = await btick(["keys", "revoke", ci?.id ?? ""]);
    expect(revoked.stdout).toMatch(/^revoked API key skd_[0-9a-f]{12} \(ci\)\n$/);
    expect(JSON.parse((await btick(["keys", "list", "--all", "--json"])).stdout).api_keys.find((k: { id: string }) => k.id === ci?.id).state).toBe("revoked");
    const badScope = await btick(["keys", "create", "--name", "x", "--scopes", "jobs:everything"]);
    expect(badScope).toMatchObject({ code: 1, stdout: "" });
    expect(badScope.stderr).toMatch(/^error: invalid scope "jobs:everything"; valid scopes: /);
  });

  it("reports API errors with the API's message, validation lines and exit code 1", async () => {
    const invalid = await btick(["jobs", "create", "--name", " ", "--method", "GET", "--url", "nope", "--cron", "0 0 31 2 *"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe("");
    expect(invalid.stderr).toMatch(/^error: 400 INVALID_REQUEST: Validation failed\n {2}name: .+\n {2}url: .+\n {2}cron_expression: .+\n$/);
    const missing = await btick(["jobs", "get", "00000000-0000-4000-8000-000000000000"]);
    expect(missing).toEqual({ code: 1, stdout: "", stderr: "error: 404 NOT_FOUND: job not found\n" });
    const badId = await btick(["jobs", "delete", "nope"]);
    expect(badId.stderr).toBe("error: 400 INVALID_REQUEST: invalid jobId\n");
    const usage = await btick(["jobs", "create", "--name", "x"]);
    expect(usage).toMatchObject({ code: 1, stderr: "error: missing required option --method, --url, --cron\n" });
  });

  it("lets BTICK_BASE_URL and BTICK_API_KEY override the saved settings", async () => {
    const key = await addApiKey(db.prisma, owner.tenantId, ["runs:read"]);
    const r = await btick(["jobs", "list"], { env: { BTICK_API_KEY: key.rawKey } });
    expect(r).toMatchObject({ code: 1, stderr: "error: 403 FORBIDDEN: this operation requires the jobs:read scope\n" });
    const wrongUrl = await btick(["jobs", "list"], { env: { BTICK_BASE_URL: "http://127.0.0.1:1" } });
    expect(wrongUrl.code).toBe(1);
    expect(wrongUrl.stderr).toMatch(/network error/);
  });

  it("deletes a job and logs out", async () => {
    expect((await btick(["jobs", "delete", jobId, "--json"])).stdout).toBe('{\n  "message": "job deleted"\n}\n');
    expect((await btick(["logout"])).stdout).toBe(`removed ${configFile()}\n`);
    expect((await btick(["jobs", "list"])).code).toBe(1);
  });

  it("login help names the API's default port", async () => {
    expect((await btick(["login", "--help"])).stdout).toContain("e.g. http://localhost:8080");
  });

  it("keeps the admin commands", async () => {
    const r = await btick(["admin", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("create-user");
  });
});

describe("errors raised before a procedure runs", () => {
  let limited: Awaited<ReturnType<typeof buildServer>>;
  let limitedUrl: string;
  beforeAll(async () => {
    // As `API_RATE_LIMIT_PER_MINUTE=2` makes the API's main.ts configure it.
    limited = await buildServer({ db: db.prisma, security: { rateLimitPerMinute: 2, authFailuresPerMinute: 0 } });
    limitedUrl = await limited.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it("prints the API's message for a 429", async () => {
    const env = { BTICK_BASE_URL: limitedUrl, BTICK_API_KEY: owner.rawKey };
    for (let i = 0; i < 2; i++) expect((await btick(["jobs", "list"], { env })).code).toBe(0);
    const r = await btick(["jobs", "list"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: 429 TOO_MANY_REQUESTS: rate limit exceeded: at most 2 requests per minute; retry in \d+ seconds\n$/);
  });
});
