// User commands on the API through @btick/sdk: login/logout, jobs, runs and keys. Tables by default, `--json` for
// scripts (the API's output object, unchanged). API errors exit non-zero with the API's message and validation lines.
import { Option, type Command } from "commander";

import {
  BTick,
  BTickError,
  CONCURRENCY_POLICIES,
  HTTP_METHODS,
  MISFIRE_POLICIES,
  RUN_STATUSES,
  SCOPES,
  TRIGGER_TYPES,
  type ApiKey,
  type ConcurrencyPolicy,
  type HttpMethod,
  type Job,
  type JobsCreateInput,
  type JobsUpdateInput,
  type JsonValue,
  type MisfirePolicy,
  type Run,
  type Scope,
} from "@btick/sdk";

import { configPath, parseBaseUrl, readConfigFile, removeConfigFile, writeConfigFile, type ApiSettings } from "../config-file.ts";
import { loadCliEnv } from "../env.ts";
import { CliError } from "../errors.ts";
import type { Io } from "../io.ts";
import { record, table } from "../table.ts";

// ---- settings and client ----

function env() {
  return loadCliEnv();
}

/** Base URL and key: env vars win over the config file. */
export function resolveSettings(): ApiSettings & { path: string } {
  const e = env();
  const path = configPath(e.XDG_CONFIG_HOME);
  const file = readConfigFile(path);
  const baseUrl = e.BTICK_BASE_URL ?? file.baseUrl;
  const apiKey = e.BTICK_API_KEY ?? file.apiKey;
  if (!baseUrl || !apiKey) {
    throw new CliError("not logged in: run `btick login` (or set BTICK_BASE_URL and BTICK_API_KEY)");
  }
  return { baseUrl: parseBaseUrl(baseUrl), apiKey, path };
}

function client(settings = resolveSettings()): BTick {
  return new BTick({ baseUrl: settings.baseUrl, apiKey: settings.apiKey, timeoutMs: 30_000 });
}

/** Turns SDK errors into CLI errors: the API's message, then one line per invalid field. */
async function api<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BTickError) {
      const lines = err.validation.map((v) => `  ${v.field}: ${v.message}`);
      const prefix = err.status === 0 ? "" : `${err.status} ${err.error_code}: `;
      throw new CliError([`${prefix}${err.message}`, ...lines].join("\n"));
    }
    throw err;
  }
}

// ---- value parsing ----

function int(name: string) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new CliError(`${name} must be an integer, got "${raw}"`);
    return Number(raw);
  };
}

function bool(name: string) {
  return (raw: string): boolean => {
    const v = raw.trim().toLowerCase();
    if (v === "true") return true;
    if (v === "false") return false;
    throw new CliError(`${name} must be true or false, got "${raw}"`);
  };
}

/** `--method`: one of the API's methods, in any case. */
function httpMethod(raw: string): HttpMethod {
  const method = HTTP_METHODS.find((m) => m === raw.trim().toUpperCase());
  if (!method) throw new CliError(`--method must be one of ${HTTP_METHODS.join(", ")}, got "${raw}"`);
  return method;
}

/** `--max-runs <n|none>`: a count, or `none` for no per-job limit (sent as null; see `json` on why not here). */
function maxRuns(raw: string): number | "none" {
  return raw.trim().toLowerCase() === "none" ? "none" : int("--max-runs")(raw);
}

/**
 * `--body <json>`, boxed: commander turns an option value of `null` into "" after parsing, so `--body null`
 * would send an empty string instead of clearing the body.
 */
function json(raw: string): { value: JsonValue } {
  try {
    return { value: JSON.parse(raw) as JsonValue };
  } catch {
    throw new CliError(`--body must be JSON, got ${raw}`);
  }
}

/** `--header "Name: value"` / `--add-header` (repeatable). */
function header(option: string) {
  return (raw: string, prev: Record<string, string> = {}): Record<string, string> => {
    const i = raw.indexOf(":");
    if (i <= 0) throw new CliError(`${option} must look like "Name: value", got "${raw}"`);
    return { ...prev, [raw.slice(0, i).trim()]: raw.slice(i + 1).trim() };
  };
}

/** `--remove-header Name` (repeatable). */
function headerName(raw: string, prev: string[] = []): string[] {
  if (raw.trim() === "" || raw.includes(":")) throw new CliError(`--remove-header takes a header name, got "${raw}"`);
  return [...prev, raw.trim()];
}

/** `headers` with the named ones removed and `add` set (header names compare case-insensitively). */
export function editHeaders(headers: Record<string, string>, add: Record<string, string>, remove: string[]): Record<string, string> {
  const out = { ...headers };
  const drop = (name: string) => {
    const existing = Object.keys(out).filter((k) => k.toLowerCase() === name.toLowerCase());
    for (const k of existing) delete out[k];
    return existing.length > 0;
  };
  for (const name of remove) if (!drop(name)) throw new CliError(`--remove-header: the job has no header "${name}"`);
  for (const [name, value] of Object.entries(add)) {
    drop(name);
    out[name] = value;
  }
  return out;
}

function scopes(raw: string): Scope[] {
  const given = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const invalid = given.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (given.length === 0 || invalid.length > 0) {
    throw new CliError(`${invalid.length ? `invalid scope ${invalid.map((s) => `"${s}"`).join(", ")}; ` : ""}valid scopes: ${SCOPES.join(", ")}`);
  }
  return given as Scope[];
}

// ---- output ----

interface OutputOpts {
  json?: boolean;
}

function print(io: Io, opts: OutputOpts, value: unknown, human: () => string): void {
  io.stdout(opts.json ? `${JSON.stringify(value, null, 2)}\n` : human());
}

const jobsTable = (jobs: Job[]) =>
  table(
    ["id", "name", "method", "schedule", "timezone", "enabled", "next run", "url"],
    jobs.map((j) => [j.id, j.name, j.method, j.cron_expression, j.timezone, j.enabled ? "yes" : "paused", j.next_run_at, j.url]),
  );

const runsTable = (runs: Run[]) =>
  table(
    ["id", "trigger", "scheduled for", "status", "attempt", "http", "duration ms", "error"],
    runs.map((r) => [r.id, r.trigger_type, r.scheduled_for, r.status, `${r.attempt_number}/${r.max_attempts}`, r.response_status_code, r.duration_ms, r.error_message]),
  );

const keysTable = (keys: ApiKey[]) =>
  table(
    ["id", "name", "prefix", "state", "scopes", "expires", "last used"],
    keys.map((k) => [k.id, k.name, k.key_prefix, k.state, k.scopes.join(","), k.expires_at, k.last_used_at]),
  );

const nextPage = (cursor: string | null) => (cursor ? `next page: --cursor ${cursor}\n` : "");

const jsonOption = () => new Option("--json", "print the API's JSON output");

// ---- commands ----

function registerLogin(program: Command, io: Io): void {
  program
    .command("login")
    .description("verify and save the API base URL and key (0600 config file; BTICK_BASE_URL/BTICK_API_KEY override it)")
    .option("--base-url <url>", "where the API runs, e.g. http://localhost:8080 (asked when omitted)")
    .option("--api-key <key>", "an API key (asked when omitted, without echoing it)")
    .action(async (opts: { baseUrl?: string; apiKey?: string }) => {
      const ask = async (question: string, hidden = false) => {
        const answer = (await io.prompt(question, { hidden }))?.trim();
        if (!answer) throw new CliError(`${question.replace(/: $/, "")} is required`);
        return answer;
      };
      const baseUrl = parseBaseUrl(opts.baseUrl ?? (await ask("API base URL: ")));
      const apiKey = (opts.apiKey ?? (await ask("API key: ", true))).trim();
      if (apiKey === "") throw new CliError("--api-key must not be empty");
      // Verify: the key must authenticate. A 403 still proves a valid key (it just lacks jobs:read).
      try {
        await new BTick({ baseUrl, apiKey, timeoutMs: 15_000, retries: 1 }).jobs.list({ limit: 1 });
      } catch (err) {
        if (!(err instanceof BTickError) || err.status !== 403) {
          const reason = err instanceof BTickError ? err.message : String(err);
          throw new CliError(`cannot log in to ${baseUrl}: ${reason}`);
        }
      }
      const path = configPath(env().XDG_CONFIG_HOME);
      writeConfigFile(path, { baseUrl, apiKey });
      io.stdout(`logged in to ${baseUrl} (key ${apiKey.split("_").slice(0, 2).join("_")}…); saved to ${path}\n`);
    });

  program
    .command("logout")
    .description("remove the saved API base URL and key")
    .action(() => {
      const path = configPath(env().XDG_CONFIG_HOME);
      io.stdout(removeConfigFile(path) ? `removed ${path}\n` : "not logged in\n");
    });
}

function registerJobs(program: Command, io: Io): void {
  const jobs = program.command("jobs").description("recurring HTTP jobs");

  const jobFields = (cmd: Command, create: boolean) =>
    cmd
      .option("--name <name>", "job name (1-200 characters)")
      .option("--method <method>", `HTTP method: ${HTTP_METHODS.join(" ")}`, httpMethod)
      .option("--url <url>", "the URL to call")
      .option("--cron <expression>", "cron expression, e.g. \"*/5 * * * *\"")
      .option("--timezone <tz>", `IANA time zone${create ? " (default UTC)" : ""}`)
      .option(
        "--header <name: value>",
        create
          ? "request header (repeatable)"
          : "replace ALL the job's headers with these (repeatable; headers not given are removed; see --add-header)",
        header("--header"),
      )
      .option("--body <json>", "JSON request body; null for none", json)
      .option("--retry-max <n>", "retries after a failed attempt, 0-10", int("--retry-max"))
      .option("--timeout-seconds <n>", "per-attempt timeout, 1-900", int("--timeout-seconds"))
      .addOption(
        new Option("--concurrency-policy <policy>", "a slot due while the previous run still runs: forbid (skip it), allow, replace").choices(
          CONCURRENCY_POLICIES,
        ),
      )
      .addOption(
        new Option("--misfire-policy <policy>", "slots missed while no worker ran: fire_once, skip, catch_up").choices(MISFIRE_POLICIES),
      )
      .option("--misfire-catch-up-max <n>", "catch_up: at most this many missed slots, 1-100", int("--misfire-catch-up-max"))
      .option("--max-runs <n|none>", "keep at most this many runs of the job (1-100000), or none", maxRuns);

  interface FieldOpts {
    name?: string;
    method?: HttpMethod;
    url?: string;
    cron?: string;
    timezone?: string;
    header?: Record<string, string>;
    body?: { value: JsonValue };
    retryMax?: number;
    timeoutSeconds?: number;
    concurrencyPolicy?: ConcurrencyPolicy;
    misfirePolicy?: MisfirePolicy;
    misfireCatchUpMax?: number;
    maxRuns?: number | "none";
    json?: boolean;
  }
  const fields = (o: FieldOpts) => ({
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.method !== undefined ? { method: o.method } : {}),
    ...(o.url !== undefined ? { url: o.url } : {}),
    ...(o.cron !== undefined ? { cron_expression: o.cron } : {}),
    ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
    ...(o.header !== undefined ? { headers: o.header } : {}),
    ...(o.body !== undefined ? { body: o.body.value } : {}),
    ...(o.retryMax !== undefined ? { retry_max: o.retryMax } : {}),
    ...(o.timeoutSeconds !== undefined ? { timeout_seconds: o.timeoutSeconds } : {}),
    ...(o.concurrencyPolicy !== undefined ? { concurrency_policy: o.concurrencyPolicy } : {}),
    ...(o.misfirePolicy !== undefined ? { misfire_policy: o.misfirePolicy } : {}),
    ...(o.misfireCatchUpMax !== undefined ? { misfire_catch_up_max: o.misfireCatchUpMax } : {}),
    ...(o.maxRuns !== undefined ? { max_runs: o.maxRuns === "none" ? null : o.maxRuns } : {}),
  });

  /** The signing secret, printed once after a create or a rotation. */
  const secretLines = (secret: string) => `\nsigning secret: ${secret}\n(shown only once: store it now; the job's requests are signed with it)\n`;

  jobFields(jobs.command("create").description("create a job"), true)
    .option("--disabled", "create it paused")
    .addOption(jsonOption())
    .action(async (o: FieldOpts & { disabled?: boolean }) => {
      const missing = (["name", "method", "url", "cron"] as const).filter((k) => o[k] === undefined);
      if (missing.length > 0) throw new CliError(`missing required option ${missing.map((k) => `--${k}`).join(", ")}`);
      const input = { ...fields(o), ...(o.disabled ? { enabled: false } : {}) } as JobsCreateInput;
      const out = await api(() => client().jobs.create(input));
      print(io, o, out, () => record(out.job) + secretLines(out.signing_secret));
    });

  jobs
    .command("list")
    .description("list jobs, newest first")
    .option("--enabled <bool>", "only enabled (true) or paused (false) jobs", bool("--enabled"))
    .option("--search <text>", "case-insensitive substring of the name")
    .option("--limit <n>", "page size, 1-500 (default 50)", int("--limit"))
    .option("--cursor <cursor>", "the next_cursor of the previous page")
    .option("--all", "fetch every page")
    .addOption(jsonOption())
    .action(async (o: { enabled?: boolean; search?: string; limit?: number; cursor?: string; all?: boolean; json?: boolean }) => {
      const c = client();
      const filter = {
        ...(o.enabled !== undefined ? { enabled: o.enabled } : {}),
        ...(o.search ? { q: o.search } : {}),
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
      };
      if (o.all) {
        const all = await api(async () => {
          const out: Job[] = [];
          for await (const j of c.jobs.iterate(filter)) out.push(j);
          return out;
        });
        return print(io, o, { jobs: all, next_cursor: null }, () => jobsTable(all));
      }
      const out = await api(() => c.jobs.list({ ...filter, ...(o.cursor ? { cursor: o.cursor } : {}) }));
      print(io, o, out, () => jobsTable(out.jobs) + nextPage(out.next_cursor));
    });

  jobs
    .command("get")
    .description("show a job")
    .argument("<jobId>")
    .addOption(jsonOption())
    .action(async (jobId: string, o: OutputOpts) => {
      const out = await api(() => client().jobs.get({ jobId }));
      print(io, o, out, () => record(out.job));
    });

  jobFields(jobs.command("update").description("change a job (only the options given)").argument("<jobId>"), false)
    .option("--add-header <name: value>", "add or replace one header, keeping the others (repeatable)", header("--add-header"))
    .option("--remove-header <name>", "remove one header, keeping the others (repeatable)", headerName)
    .option("--clear-body", "remove the request body (same as --body null)")
    .option("--enabled <bool>", "enable (true) or pause (false)", bool("--enabled"))
    .addOption(jsonOption())
    .action(
      async (jobId: string, o: FieldOpts & { addHeader?: Record<string, string>; removeHeader?: string[]; clearBody?: boolean; enabled?: boolean }) => {
        const editing = o.addHeader !== undefined || o.removeHeader !== undefined;
        if (editing && o.header !== undefined) throw new CliError("--header replaces all headers; give either it or --add-header/--remove-header");
        if (o.clearBody && o.body !== undefined) throw new CliError("give either --body or --clear-body");
        const c = client();
        const patch: JobsUpdateInput = { jobId, ...fields(o), ...(o.clearBody ? { body: null } : {}), ...(o.enabled !== undefined ? { enabled: o.enabled } : {}) };
        if (editing) {
          // The API replaces headers as a whole: read them, edit, send them all back. Secret values come back
          // masked as "***", which the API reads as "keep the stored value".
          const { job } = await api(() => c.jobs.get({ jobId }));
          patch.headers = editHeaders(job.headers, o.addHeader ?? {}, o.removeHeader ?? []);
        }
        if (Object.keys(patch).length === 1) throw new CliError("nothing to update: give at least one option (see btick jobs update --help)");
        const out = await api(() => c.jobs.update(patch));
        print(io, o, out, () => record(out.job));
      },
    );

  jobs
    .command("rotate-secret")
    .description("replace the job's signing secret; prints the new one once")
    .argument("<jobId>")
    .option(
      "--previous-expires-in <seconds>",
      "keep also signing with the old secret for this long, 0-2592000 (default: the server's, 24 hours; 0 stops at once)",
      int("--previous-expires-in"),
    )
    .addOption(jsonOption())
    .action(async (jobId: string, o: OutputOpts & { previousExpiresIn?: number }) => {
      const input = { jobId, ...(o.previousExpiresIn !== undefined ? { previous_secret_expires_in_seconds: o.previousExpiresIn } : {}) };
      const out = await api(() => client().jobs.rotateSigningSecret(input));
      print(io, o, out, () => {
        const until = out.job.signing_secret_previous_expires_at;
        const previous = until
          ? `requests also carry a signature made with the previous secret until ${until}`
          : "the previous secret no longer signs requests";
        return `rotated the signing secret of job ${out.job.id}; ${previous}\n${secretLines(out.signing_secret)}`;
      });
    });

  for (const [name, description] of [
    ["pause", "pause a job (no scheduled runs until resumed)"],
    ["resume", "resume a job from its next slot"],
  ] as const) {
    jobs
      .command(name)
      .description(description)
      .argument("<jobId>")
      .addOption(jsonOption())
      .action(async (jobId: string, o: OutputOpts) => {
        const out = await api(() => client().jobs[name]({ jobId }));
        print(io, o, out, () => `${name === "pause" ? "paused" : "resumed"} job ${out.job.id} (next run: ${out.job.next_run_at ?? "-"})\n`);
      });
  }

  jobs
    .command("trigger")
    .description("run a job now (also when paused)")
    .argument("<jobId>")
    .addOption(jsonOption())
    .action(async (jobId: string, o: OutputOpts) => {
      const out = await api(() => client().jobs.trigger({ jobId }));
      print(io, o, out, () => `${out.message} (trigger ${out.trigger_id})\n`);
    });

  jobs
    .command("delete")
    .description("delete a job and its runs")
    .argument("<jobId>")
    .addOption(jsonOption())
    .action(async (jobId: string, o: OutputOpts) => {
      const out = await api(() => client().jobs.delete({ jobId }));
      print(io, o, out, () => `${out.message}: ${jobId}\n`);
    });
}

function registerRuns(program: Command, io: Io): void {
  const runs = program.command("runs").description("a job's run history");

  runs
    .command("list")
    .description("list a job's runs, newest first")
    .argument("<jobId>")
    .addOption(new Option("--status <status>", "only runs with this status").choices(RUN_STATUSES))
    .addOption(new Option("--trigger-type <type>", "only scheduled or manual runs").choices(TRIGGER_TYPES))
    .option("--limit <n>", "page size, 1-500 (default 100)", int("--limit"))
    .option("--cursor <cursor>", "the next_cursor of the previous page")
    .option("--all", "fetch every page")
    .addOption(jsonOption())
    .action(
      async (
        jobId: string,
        o: { status?: Run["status"]; triggerType?: Run["trigger_type"]; limit?: number; cursor?: string; all?: boolean; json?: boolean },
      ) => {
        const c = client();
        const filter = {
          jobId,
          ...(o.status ? { status: o.status } : {}),
          ...(o.triggerType ? { trigger_type: o.triggerType } : {}),
          ...(o.limit !== undefined ? { limit: o.limit } : {}),
        };
        if (o.all) {
          const all = await api(async () => {
            const out: Run[] = [];
            for await (const r of c.runs.iterate(filter)) out.push(r);
            return out;
          });
          return print(io, o, { runs: all, next_cursor: null }, () => runsTable(all));
        }
        const out = await api(() => c.runs.list({ ...filter, ...(o.cursor ? { cursor: o.cursor } : {}) }));
        print(io, o, out, () => runsTable(out.runs) + nextPage(out.next_cursor));
      },
    );

  runs
    .command("get")
    .description("show a run with its attempts")
    .argument("<runId>")
    .addOption(jsonOption())
    .action(async (runId: string, o: OutputOpts) => {
      const out = await api(() => client().runs.get({ runId }));
      print(io, o, out, () => {
        const { attempts, ...run } = out.run;
        const rows = attempts.map((a) => [a.attempt_number, a.outcome, a.response_status_code, a.duration_ms, a.started_at, a.error_message]);
        return `${record(run)}\nattempts:\n${table(["#", "outcome", "http", "duration ms", "started", "error"], rows)}`;
      });
    });
}

function registerKeys(program: Command, io: Io): void {
  const keys = program.command("keys").description("API keys of your tenant");

  keys
    .command("create")
    .description("mint an API key (scopes must be a subset of your key's); prints the raw key once")
    .requiredOption("--name <name>", "a label for the key")
    .requiredOption("--scopes <scopes>", `comma-separated: ${SCOPES.join(",")}`, scopes)
    .option("--expires-at <timestamp>", "expiry, RFC 3339 (default: never)")
    .addOption(jsonOption())
    .action(async (o: { name: string; scopes: Scope[]; expiresAt?: string; json?: boolean }) => {
      const out = await api(() => client().apiKeys.create({ name: o.name, scopes: o.scopes, ...(o.expiresAt ? { expires_at: o.expiresAt } : {}) }));
      print(io, o, out, () => {
        io.stderr(`created API key "${out.api_key.name}" (${out.api_key.key_prefix}, scopes ${out.api_key.scopes.join(",")}); it is shown only this once\n`);
        return `${out.raw_key}\n`;
      });
    });

  keys
    .command("list")
    .description("list API keys, newest first (revoked included)")
    .option("--limit <n>", "page size, 1-500 (default 50)", int("--limit"))
    .option("--cursor <cursor>", "the next_cursor of the previous page")
    .option("--all", "fetch every page")
    .addOption(jsonOption())
    .action(async (o: { limit?: number; cursor?: string; all?: boolean; json?: boolean }) => {
      const c = client();
      if (o.all) {
        const all = await api(async () => {
          const out: ApiKey[] = [];
          for await (const k of c.apiKeys.iterate(o.limit !== undefined ? { limit: o.limit } : {})) out.push(k);
          return out;
        });
        return print(io, o, { api_keys: all, next_cursor: null }, () => keysTable(all));
      }
      const out = await api(() => c.apiKeys.list({ ...(o.limit !== undefined ? { limit: o.limit } : {}), ...(o.cursor ? { cursor: o.cursor } : {}) }));
      print(io, o, out, () => keysTable(out.api_keys) + nextPage(out.next_cursor));
    });

  keys
    .command("revoke")
    .description("revoke an API key")
    .argument("<keyId>")
    .addOption(jsonOption())
    .action(async (keyId: string, o: OutputOpts) => {
      const out = await api(() => client().apiKeys.revoke({ keyId }));
      print(io, o, out, () => `revoked API key ${out.api_key.key_prefix} (${out.api_key.name})\n`);
    });
}

export function registerApiCommands(program: Command, io: Io): void {
  registerLogin(program, io);
  registerJobs(program, io);
  registerRuns(program, io);
  registerKeys(program, io);
}
