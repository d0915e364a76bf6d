import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  call,
  createJob,
  expectError,
  expectJobShape,
  expectValidation,
  issueFor,
  json,
  setup,
  validJob,
  type Harness,
  type Principal,
} from "./harness.ts";

let h: Harness;
let p: Principal;

beforeAll(async () => {
  h = await setup();
  p = await h.tenant();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function post(body: unknown) {
  return await call(h.app, "POST", "/jobs", { key: p.rawKey, body });
}

/** Asserts that creating `overrides` fails with an issue on `field` (and returns that issue). */
async function rejects(overrides: Record<string, unknown>, field: string) {
  const before = await h.db.job.count();
  const issues = expectValidation(await post(validJob(overrides)), [field]);
  expect(await h.db.job.count()).toBe(before);
  return issueFor(issues, field);
}

async function accepts(overrides: Record<string, unknown>) {
  const res = await post(validJob(overrides));
  expect(res.statusCode, res.body).toBe(201);
  const job = json(res).job;
  expectJobShape(job);
  return job;
}

describe("required fields", () => {
  it("an empty object reports name, method, url and cron_expression at once", async () => {
    const issues = expectValidation(await post({}), ["name", "method", "url", "cron_expression"]);
    expect(issues.map((i) => i.field)).not.toContain("timezone");
    expect(issues.map((i) => i.field)).not.toContain("headers");
  });

  it("a non-object body is rejected", async () => {
    for (const body of [[], "job", 1, null]) {
      const res = await post(body);
      expectError(res, 400, undefined, { validation: json(res).validation !== undefined });
    }
  });
});

describe("collects every error at once", () => {
  it("reports each invalid field with its own snake_case name", async () => {
    const issues = expectValidation(
      await post({
        name: "",
        method: "FETCH",
        url: "ftp://example.com/file",
        headers: { Host: "evil.example" },
        cron_expression: "not a cron",
        retry_max: 11,
        timeout_seconds: 0,
        enabled: "yes",
        surprise: 1,
      }),
      ["name", "method", "url", "headers.Host", "cron_expression", "retry_max", "timeout_seconds", "enabled", "surprise"],
    );
    expect(issues.length).toBeGreaterThanOrEqual(9);
  });

  it("reports a bad cron expression and a bad timezone together", async () => {
    expectValidation(await post(validJob({ cron_expression: "nope", timezone: "Mars/Olympus_Mons" })), [
      "cron_expression",
      "timezone",
    ]);
  });

  it("reports a GET body alongside other errors", async () => {
    expectValidation(await post(validJob({ method: "GET", body: { a: 1 }, retry_max: -1 })), ["body", "retry_max"]);
  });
});

describe("name", () => {
  it("is required, non-blank after trimming", async () => {
    await rejects({ name: "" }, "name");
    await rejects({ name: "   " }, "name");
    await rejects({ name: undefined }, "name");
  });
  it("must be a string", async () => {
    await rejects({ name: 42 }, "name");
  });
  it("accepts 200 characters, rejects 201", async () => {
    const job = await accepts({ name: "n".repeat(200) });
    expect(job.name).toHaveLength(200);
    const issue = await rejects({ name: "n".repeat(201) }, "name");
    expect(issue.message).toMatch(/200/);
  });
  it("length is measured after trimming", async () => {
    const job = await accepts({ name: `  ${"n".repeat(200)}  ` });
    expect(job.name).toBe("n".repeat(200));
  });
});

describe("method", () => {
  it("accepts GET POST PUT PATCH DELETE HEAD OPTIONS in any case", async () => {
    for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]) {
      expect((await accepts({ method: m })).method).toBe(m);
      expect((await accepts({ method: m.toLowerCase() })).method).toBe(m);
    }
  });
  it("rejects other methods", async () => {
    for (const m of ["TRACE", "CONNECT", "FETCH", "", "G ET"]) await rejects({ method: m }, "method");
  });
  it("is required", async () => {
    await rejects({ method: undefined }, "method");
  });
});

describe("url", () => {
  it("accepts http and https absolute URLs", async () => {
    expect((await accepts({ url: "http://localhost:8080/x" })).url).toBe("http://localhost:8080/x");
    expect((await accepts({ url: "https://a.example/b?c=1#d" })).url).toBe("https://a.example/b?c=1#d");
  });
  it("rejects other schemes and non-absolute URLs", async () => {
    for (const url of [
      "ftp://example.com/a",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "mailto:a@example.com",
      "/relative/path",
      "example.com/no-scheme",
      "http://",
      "",
      "   ",
    ]) {
      await rejects({ url }, "url");
    }
  });
  it("rejects an empty authority (https:///path has no host)", async () => {
    // WHATWG URL parsing would silently turn this into https://path/, a different target than the one stored.
    await rejects({ url: "https:///nohost" }, "url");
    await rejects({ url: "http:///" }, "url");
  });
  it("rejects credentials in the URL (the worker would drop them, and they would be shown unmasked), on create and on PATCH", async () => {
    for (const url of ["http://user:pass@a.example/", "https://user@a.example/x", "http://:secret@a.example/", "http://@a.example/"]) {
      const issue = await rejects({ url }, "url");
      expect(issue.message).toBe("must not contain credentials (user:password@); send them in an Authorization header instead");
    }
    const job = await accepts({ url: "https://a.example/path@not-userinfo?x=a@b" });
    const patched = await call(h.app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, body: { url: "https://u:p@a.example/" } });
    expect(issueFor(expectValidation(patched, ["url"]), "url").message).toMatch(/^must not contain credentials/);
    expect(json(await call(h.app, "GET", `/jobs/${job.id}`, { key: p.rawKey })).job.url).toBe("https://a.example/path@not-userinfo?x=a@b");
  });
  it("rejects port 0, accepts ports 1..65535", async () => {
    for (const url of ["http://a.example:0/", "https://a.example:000/x"]) {
      expect((await rejects({ url }, "url")).message).toBe("must not use port 0; use a port between 1 and 65535");
    }
    await rejects({ url: "http://a.example:65536/" }, "url");
    expect((await accepts({ url: "http://a.example:1/" })).url).toBe("http://a.example:1/");
    expect((await accepts({ url: "https://a.example:65535/" })).url).toBe("https://a.example:65535/");
    const job = await accepts({});
    const patched = await call(h.app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, body: { url: "http://a.example:0/" } });
    expectValidation(patched, ["url"]);
  });
  it("is required and must be a string", async () => {
    await rejects({ url: undefined }, "url");
    await rejects({ url: 5 }, "url");
  });
  it("accepts 2048 characters, rejects 2049", async () => {
    const base = "https://example.com/";
    const ok = base + "a".repeat(2048 - base.length);
    expect((await accepts({ url: ok })).url).toBe(ok);
    const issue = await rejects({ url: ok + "a" }, "url");
    expect(issue.message).toMatch(/2048/);
  });
});

describe("headers", () => {
  it("defaults to {}", async () => {
    expect((await accepts({ headers: undefined })).headers).toEqual({});
  });
  it("must be an object of strings", async () => {
    await rejects({ headers: null }, "headers");
    await rejects({ headers: ["X-A: 1"] }, "headers");
    await rejects({ headers: "X-A: 1" }, "headers");
    await rejects({ headers: { "X-Num": 1 } }, "headers.X-Num");
    await rejects({ headers: { "X-Obj": { a: 1 } } }, "headers.X-Obj");
  });
  it("accepts 50 entries, rejects 51", async () => {
    const h50: Record<string, string> = {};
    for (let i = 0; i < 50; i++) h50[`X-H${i}`] = String(i);
    expect(Object.keys((await accepts({ headers: h50 })).headers)).toHaveLength(50);
    await rejects({ headers: { ...h50, "X-H50": "x" } }, "headers");
  });
  it("rejects names that are not HTTP tokens", async () => {
    await rejects({ headers: { "Bad Header": "x" } }, "headers.Bad Header");
    await rejects({ headers: { "X-Bad:": "x" } }, "headers.X-Bad:");
    await rejects({ headers: { "X-(Paren)": "x" } }, "headers.X-(Paren)");
    const issues = expectValidation(await post(validJob({ headers: { "": "x" } })));
    expect(issues.some((i) => i.field.startsWith("headers"))).toBe(true);
  });
  it("name at most 256 characters", async () => {
    await accepts({ headers: { ["X" + "a".repeat(255)]: "1" } });
    const issues = expectValidation(await post(validJob({ headers: { ["X" + "a".repeat(256)]: "1" } })));
    expect(issues.some((i) => i.field.startsWith("headers"))).toBe(true);
  });
  it("value at most 8192 characters", async () => {
    await accepts({ headers: { "X-Long": "v".repeat(8192) } });
    await rejects({ headers: { "X-Long": "v".repeat(8193) } }, "headers.X-Long");
  });
  it("value without CR or LF", async () => {
    await rejects({ headers: { "X-Inject": "a\r\nX-Evil: 1" } }, "headers.X-Inject");
    await rejects({ headers: { "X-Inject": "a\nb" } }, "headers.X-Inject");
    await rejects({ headers: { "X-Inject": "a\rb" } }, "headers.X-Inject");
  });
  it("values hold only visible ASCII, spaces and tabs (what the worker can send), on create and on PATCH", async () => {
    for (const value of ["😀", "\u007f", "caf\u00e9", "a\u0001b", "\u00a0", "\u2028"]) {
      const issue = await rejects({ headers: { "X-V": value } }, "headers.X-V");
      expect(issue.message).toBe("must contain only visible ASCII characters, spaces and tabs");
    }
    const job = await accepts({ headers: { "X-V": "a\tb ~!{}" } });
    expect(job.headers).toEqual({ "X-V": "a\tb ~!{}" });
    const patched = await call(h.app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, body: { headers: { "X-V": "😀" } } });
    expect(issueFor(expectValidation(patched, ["headers.X-V"]), "headers.X-V").message).toBe("must contain only visible ASCII characters, spaces and tabs");
    expect(json(await call(h.app, "GET", `/jobs/${job.id}`, { key: p.rawKey })).job.headers).toEqual({ "X-V": "a\tb ~!{}" });
  });
  it("forbids host, content-length, transfer-encoding and connection in any case", async () => {
    for (const name of ["Host", "host", "Content-Length", "TRANSFER-ENCODING", "connection"]) {
      await rejects({ headers: { [name]: "x" } }, `headers.${name}`);
    }
  });
  it("preserves names and values as given", async () => {
    const job = await accepts({ headers: { "X-Mixed-Case": "Value With Spaces", "content-type": "text/plain" } });
    expect(job.headers).toEqual({ "X-Mixed-Case": "Value With Spaces", "content-type": "text/plain" });
  });
});

describe("body", () => {
  it("defaults to null", async () => {
    expect((await accepts({ body: undefined })).body).toBeNull();
  });
  it("is not allowed with GET or HEAD", async () => {
    expect((await rejects({ method: "GET", body: { a: 1 } }, "body")).message).toBe("body is not allowed for GET requests");
    expect((await rejects({ method: "get", body: "x" }, "body")).message).toBe("body is not allowed for GET requests");
    expect((await rejects({ method: "HEAD", body: [1] }, "body")).message).toBe("body is not allowed for HEAD requests");
  });
  it("null body is fine with GET and HEAD", async () => {
    expect((await accepts({ method: "GET", body: null })).body).toBeNull();
    expect((await accepts({ method: "HEAD" })).body).toBeNull();
  });
  it("refuses integers beyond ±(2^53 − 1) instead of storing them altered, on create and on PATCH", async () => {
    const MESSAGE = "must be an integer between -9007199254740991 and 9007199254740991 (larger ones lose precision); send it as a string";
    const raw = (body: string) => JSON.stringify(validJob({ body: "@" })).replace('"@"', body);
    for (const [body, field] of [
      ['{"id":12345678901234567890}', "body.id"],
      ["[1, 9007199254740993]", "body.1"],
      ['{"a":{"b":-9007199254740993}}', "body.a.b"],
      ["1e300", "body"],
    ] as const) {
      const before = await h.db.job.count();
      const issues = expectValidation(await call(h.app, "POST", "/jobs", { key: p.rawKey, raw: raw(body) }), [field]);
      expect(issueFor(issues, field).message).toBe(MESSAGE);
      expect(await h.db.job.count()).toBe(before);
    }
    const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, raw: raw('{"max":9007199254740991,"min":-9007199254740991,"f":1.5,"s":"12345678901234567890"}') });
    expect(res.statusCode, res.body).toBe(201);
    const job = json(res).job;
    expect(job.body).toEqual({ max: 9007199254740991, min: -9007199254740991, f: 1.5, s: "12345678901234567890" });
    const patched = await call(h.app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, raw: '{"body":{"n":12345678901234567890}}' });
    expect(issueFor(expectValidation(patched, ["body.n"]), "body.n").message).toBe(MESSAGE);
  });
  it("serialized size at most 64 KiB", async () => {
    // JSON.stringify of a string adds two quotes.
    const okStr = "a".repeat(64 * 1024 - 2);
    expect((await accepts({ body: okStr })).body).toBe(okStr);
    await rejects({ body: okStr + "a" }, "body");
    await rejects({ body: { data: "x".repeat(70_000) } }, "body");
  });
});

describe("cron_expression", () => {
  it("accepts 5-field expressions, stored as given (trimmed)", async () => {
    expect((await accepts({ cron_expression: "0 */2 * * 1-5" })).cron_expression).toBe("0 */2 * * 1-5");
  });
  it("accepts a 6-field expression with leading seconds", async () => {
    const job = await accepts({ cron_expression: "*/10 * * * * *" });
    expect(job.cron_expression).toBe("*/10 * * * * *");
    const times = job.next_runs.map((t: string) => Date.parse(t));
    for (let i = 1; i < 5; i++) expect(times[i] - times[i - 1]).toBe(10_000);
    for (const t of times) expect(new Date(t).getUTCSeconds() % 10).toBe(0);
    expect(Date.parse(job.next_run_at) - Date.now()).toBeLessThanOrEqual(11_000);
  });
  it("accepts macros", async () => {
    for (const m of ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]) {
      const job = await accepts({ cron_expression: m });
      expect(job.cron_expression).toBe(m);
    }
    const hourly = await accepts({ cron_expression: "@hourly" });
    const times = hourly.next_runs.map((t: string) => new Date(t));
    for (const t of times) expect([t.getUTCMinutes(), t.getUTCSeconds(), t.getUTCMilliseconds()]).toEqual([0, 0, 0]);
    for (let i = 1; i < 5; i++) expect(times[i].getTime() - times[i - 1].getTime()).toBe(3600_000);
    const daily = await accepts({ cron_expression: "@daily", timezone: "Asia/Kolkata" });
    for (const t of daily.next_runs) expect(new Date(t).toISOString().slice(11)).toBe("18:30:00.000Z");
  });
  it("rejects an expression that can never fire", async () => {
    const issue = await rejects({ cron_expression: "0 0 31 2 *" }, "cron_expression");
    expect(issue.message).toMatch(/never fires/);
    await rejects({ cron_expression: "0 0 30 2 *" }, "cron_expression");
  });
  it("rejects malformed expressions", async () => {
    for (const c of ["", "   ", "* * * *", "* * * * * * *", "61 * * * *", "* 25 * * *", "@fortnightly", "hello world"]) {
      await rejects({ cron_expression: c }, "cron_expression");
    }
  });
  it("explains a bad field in its own words (job validation and the schedule preview alike)", async () => {
    const internals = /NaN|Constraint error|Validation error|Invalid characters|got value|got range|expected range|CronDayOf/i;
    for (const [c, expected] of [
      ["-1 * * * *", 'invalid cron expression: minute "-1" is not valid (minute takes 0-59)'],
      ["0 0 L-3 * *", /^invalid cron expression: day-of-month "L-3" uses L-n/],
      ["0 0 * * 5#6", /^invalid cron expression: day-of-week "5#6" needs a k of 1-5 after #/],
      ["*/0 * * * *", /^invalid cron expression: minute "\*\/0" has a step of 0/],
      ["0 0 * JAN-FOO *", /^invalid cron expression: month "JAN-FOO" is not valid \(month takes 1-12 or JAN-DEC\)$/],
    ] as const) {
      const issue = await rejects({ cron_expression: c }, "cron_expression");
      if (typeof expected === "string") expect(issue.message).toBe(expected);
      else expect(issue.message).toMatch(expected);
      expect(issue.message).not.toMatch(internals);
      const preview = json(await call(h.app, "POST", "/schedule/preview", { key: p.rawKey, body: { cron_expression: c } }));
      expect(preview).toMatchObject({ valid: false, field: "cron_expression", message: issue.message });
    }
  });
  it("is required and must be a string", async () => {
    await rejects({ cron_expression: undefined }, "cron_expression");
    await rejects({ cron_expression: 5 }, "cron_expression");
  });
  it("at most 200 characters", async () => {
    const long = "0 0 * * " + "1,".repeat(100) + "1";
    expect(long.length).toBeGreaterThan(200);
    await rejects({ cron_expression: long }, "cron_expression");
  });
});

describe("timezone", () => {
  it("defaults to UTC", async () => {
    expect((await accepts({ timezone: undefined })).timezone).toBe("UTC");
  });
  it("accepts IANA zones", async () => {
    for (const tz of ["Europe/Paris", "America/Argentina/Buenos_Aires", "Pacific/Chatham", "UTC"]) {
      expect((await accepts({ timezone: tz })).timezone).toBe(tz);
    }
  });
  it("rejects unknown zones", async () => {
    for (const tz of ["Mars/Olympus_Mons", "Not/AZone", "", "   ", "+05:00"]) await rejects({ timezone: tz }, "timezone");
  });
  it("at most 64 characters", async () => {
    await rejects({ timezone: "A".repeat(65) }, "timezone");
  });
  it("must be a string", async () => {
    await rejects({ timezone: 0 }, "timezone");
    await rejects({ timezone: null }, "timezone");
  });
});

describe("retry_max", () => {
  it("defaults to 0, accepts 0..10", async () => {
    expect((await accepts({ retry_max: undefined })).retry_max).toBe(0);
    expect((await accepts({ retry_max: 0 })).retry_max).toBe(0);
    expect((await accepts({ retry_max: 10 })).retry_max).toBe(10);
  });
  it("rejects out-of-range, fractional and non-numeric values", async () => {
    for (const v of [-1, 11, 1.5, "3", null, true]) await rejects({ retry_max: v }, "retry_max");
  });
});

describe("timeout_seconds", () => {
  it("defaults to 60, accepts 1..900", async () => {
    expect((await accepts({ timeout_seconds: undefined })).timeout_seconds).toBe(60);
    expect((await accepts({ timeout_seconds: 1 })).timeout_seconds).toBe(1);
    expect((await accepts({ timeout_seconds: 900 })).timeout_seconds).toBe(900);
  });
  it("rejects out-of-range, fractional and non-numeric values", async () => {
    for (const v of [0, -5, 901, 2.5, "60", null]) await rejects({ timeout_seconds: v }, "timeout_seconds");
  });
});

describe("enabled", () => {
  it("defaults to true", async () => {
    const job = await accepts({ enabled: undefined });
    expect(job.enabled).toBe(true);
    expect(job.next_run_at).not.toBeNull();
  });
  it("must be a boolean", async () => {
    for (const v of ["true", 1, null]) await rejects({ enabled: v }, "enabled");
  });
});

describe("strictness", () => {
  it("rejects unknown fields, including server-owned ones", async () => {
    await rejects({ colour: "blue" }, "colour");
    await rejects({ id: "00000000-0000-4000-8000-000000000000" }, "id");
    await rejects({ next_run_at: "2030-01-01T00:00:00.000Z" }, "next_run_at");
    await rejects({ tenant_id: "00000000-0000-4000-8000-000000000000" }, "tenant_id");
    await rejects({ cronExpression: "* * * * *" }, "cronExpression");
  });

  it("malformed JSON answers 400 invalid JSON body", async () => {
    for (const raw of ['{"name": "x",', "{name: 'x'}", "not json", '{"a":1}}']) {
      expectError(await call(h.app, "POST", "/jobs", { key: p.rawKey, raw }), 400, "invalid JSON body");
    }
  });

  it("an empty body with a JSON content type answers 400", async () => {
    const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, raw: "" });
    const body = expectError(res, 400, undefined, { validation: json(res).validation !== undefined });
    expect(["invalid JSON body", "Validation failed"]).toContain(body.error.error_message);
  });
});

describe("the validation list is bounded", () => {
  it("lists the first 50 problems and one entry counting the rest (70,000 unknown keys in 1 MiB answer a small error)", async () => {
    const unknown: Record<string, number> = {};
    for (let i = 0; i < 70_000; i++) unknown[`k${i}`] = 1;
    const raw = JSON.stringify({ ...validJob(), ...unknown });
    expect(raw.length).toBeLessThan(1024 * 1024);
    const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, raw });
    const issues = expectValidation(res);
    expect(issues).toHaveLength(51);
    expect(issues.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => ({ field: `k${i}`, message: "is not a known field" })));
    expect(issues[50]).toEqual({ field: "*", message: "69950 more problems not listed (only the first 50 are)" });
    expect(res.body.length).toBeLessThan(8 * 1024);
  });

  it("does not add the counting entry at exactly 50 problems", async () => {
    const unknown: Record<string, number> = {};
    for (let i = 0; i < 50; i++) unknown[`k${i}`] = 1;
    const issues = expectValidation(await post({ ...validJob(), ...unknown }));
    expect(issues).toHaveLength(50);
    expect(issues.some((i) => i.field === "*")).toBe(false);
  });
});

describe("accepted jobs round-trip", () => {
  it("a job created with validation edge values can be read back unchanged", async () => {
    const job = await createJob(h.app, p.rawKey, {
      name: "edge",
      method: "options",
      retry_max: 10,
      timeout_seconds: 900,
      headers: { "X-Edge": "\t !~ printable ASCII" },
      body: "plain string body",
    });
    const got = json(await call(h.app, "GET", `/jobs/${job.id}`, { key: p.rawKey })).job;
    expect(got).toMatchObject({
      method: "OPTIONS",
      retry_max: 10,
      timeout_seconds: 900,
      headers: { "X-Edge": "\t !~ printable ASCII" },
      body: "plain string body",
    });
  });
});
