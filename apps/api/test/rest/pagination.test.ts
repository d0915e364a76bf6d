/* eslint-disable @typescript-eslint/no-explicit-any -- black-box tests read untyped JSON bodies */
import { generateApiKey } from "@btick/auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  call,
  createJob,
  expectError,
  expectValidation,
  insertRun,
  json,
  setup,
  walk,
  type Harness,
  type Principal,
} from "./harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await setup();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const byCreatedDescIdDesc = <T extends { createdAt: Date; id: string }>(rows: T[]) =>
  [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));

async function insertJobs(tenantId: string, createdAts: Date[], enabled: (i: number) => boolean = () => true) {
  await h.db.job.createMany({
    data: createdAts.map((createdAt, i) => ({
      tenantId,
      name: `bulk-${i}`,
      method: "GET",
      url: "https://example.com",
      cronExpression: "0 0 * * *",
      enabled: enabled(i),
      nextRunAt: enabled(i) ? new Date("2031-01-01T00:00:00.000Z") : null,
      createdAt,
    })),
  });
  return byCreatedDescIdDesc(await h.db.job.findMany({ where: { tenantId } }));
}

describe("limit validation (never coerced)", () => {
  let p: Principal;
  let jobId: string;
  beforeAll(async () => {
    p = await h.tenant();
    jobId = (await createJob(h.app, p.rawKey)).id;
  });

  for (const bad of ["0", "501", "-1", "abc", "1.5", "", "1e2", " 5", "10abc", "0x10"]) {
    it(`limit=${JSON.stringify(bad)} is 400 on jobs, runs and keys`, async () => {
      for (const path of ["/jobs", `/jobs/${jobId}/runs`, "/api-keys"]) {
        const issues = expectValidation(await call(h.app, "GET", path, { key: p.rawKey, query: { limit: bad } }), ["limit"]);
        expect(issues.length).toBeGreaterThan(0);
      }
    });
  }

  it("limit=1 and limit=500 are accepted", async () => {
    for (const path of ["/jobs", `/jobs/${jobId}/runs`, "/api-keys"]) {
      for (const limit of ["1", "500"]) {
        const res = await call(h.app, "GET", path, { key: p.rawKey, query: { limit } });
        expect(res.statusCode, `${path}?limit=${limit}: ${res.body}`).toBe(200);
      }
    }
  });

  it("limit=1 returns one item and a cursor when more exist", async () => {
    await createJob(h.app, p.rawKey);
    const body = json(await call(h.app, "GET", "/jobs", { key: p.rawKey, query: { limit: "1" } }));
    expect(body.jobs).toHaveLength(1);
    expect(typeof body.next_cursor).toBe("string");
  });
});

describe("jobs", () => {
  it("default limit is 50", async () => {
    const p = await h.tenant();
    const base = Date.now() - 3600_000;
    const rows = await insertJobs(
      p.tenantId,
      Array.from({ length: 51 }, (_, i) => new Date(base + i * 1000)),
    );
    const first = json(await call(h.app, "GET", "/jobs", { key: p.rawKey }));
    expect(first.jobs).toHaveLength(50);
    expect(first.jobs.map((j: any) => j.id)).toEqual(rows.slice(0, 50).map((r) => r.id));
    expect(typeof first.next_cursor).toBe("string");
    const second = json(await call(h.app, "GET", "/jobs", { key: p.rawKey, query: { cursor: first.next_cursor } }));
    expect(second.jobs.map((j: any) => j.id)).toEqual([rows[50]?.id]);
    expect(second.next_cursor).toBeNull();
  });

  it("the cursor walks every job exactly once when created_at ties", async () => {
    const p = await h.tenant();
    const same = new Date("2026-03-01T12:00:00.000Z");
    const created = [
      ...Array.from({ length: 8 }, () => same),
      new Date("2026-03-01T12:00:00.001Z"),
      new Date("2026-03-01T11:59:59.999Z"),
      new Date("2026-04-01T00:00:00.000Z"),
    ];
    const rows = await insertJobs(p.tenantId, created);
    for (const limit of ["1", "2", "3", "4", "11", "12"]) {
      const pages = await walk(h.app, p.rawKey, "/jobs", "jobs", { limit });
      for (const page of pages) expect(page.length).toBeLessThanOrEqual(Number(limit));
      expect(pages.flat().map((j) => j.id), `limit ${limit}`).toEqual(rows.map((r) => r.id));
    }
  });

  it("the cursor composes with the enabled filter", async () => {
    const p = await h.tenant();
    const same = new Date("2026-03-02T00:00:00.000Z");
    const rows = await insertJobs(
      p.tenantId,
      Array.from({ length: 10 }, () => same),
      (i) => i % 3 === 0,
    );
    const pages = await walk(h.app, p.rawKey, "/jobs", "jobs", { limit: "2", enabled: "false" });
    expect(pages.flat().map((j) => j.id)).toEqual(rows.filter((r) => !r.enabled).map((r) => r.id));
    const on = await walk(h.app, p.rawKey, "/jobs", "jobs", { limit: "1", enabled: "true" });
    expect(on.flat().map((j) => j.id)).toEqual(rows.filter((r) => r.enabled).map((r) => r.id));
  });

  it("a new job created mid-walk does not shift later pages", async () => {
    const p = await h.tenant();
    const rows = await insertJobs(
      p.tenantId,
      Array.from({ length: 5 }, (_, i) => new Date(Date.now() - 60_000 + i)),
    );
    const first = json(await call(h.app, "GET", "/jobs", { key: p.rawKey, query: { limit: "2" } }));
    await createJob(h.app, p.rawKey, { name: "newcomer" });
    const rest = await walk(h.app, p.rawKey, "/jobs", "jobs", { limit: "2", cursor: first.next_cursor });
    expect([...first.jobs, ...rest.flat()].map((j: any) => j.id)).toEqual(rows.map((r) => r.id));
  });
});

describe("invalid cursors", () => {
  let p: Principal;
  let jobId: string;
  beforeAll(async () => {
    p = await h.tenant();
    jobId = (await createJob(h.app, p.rawKey)).id;
  });

  for (const cursor of ["!!!", "not a cursor", "AAAA", "eyJmb28iOiJiYXIifQ", "e30", "bnVsbA", "x".repeat(5000)]) {
    it(`cursor=${JSON.stringify(cursor.slice(0, 20))} is 400 on jobs, runs and keys`, async () => {
      for (const path of ["/jobs", `/jobs/${jobId}/runs`, "/api-keys"]) {
        const res = await call(h.app, "GET", path, { key: p.rawKey, query: { cursor } });
        expectError(res, 400, undefined, { validation: json(res).validation !== undefined });
      }
    });
  }

  it("a cursor built from a well-formed but foreign payload is 400", async () => {
    const fake = Buffer.from(JSON.stringify({ created_at: "not-a-date", id: "not-a-uuid" })).toString("base64url");
    const res = await call(h.app, "GET", "/jobs", { key: p.rawKey, query: { cursor: fake } });
    expectError(res, 400, undefined, { validation: json(res).validation !== undefined });
  });
});

describe("runs", () => {
  it("walk with ties on started_at, limit 3", async () => {
    const p = await h.tenant();
    const job = await createJob(h.app, p.rawKey);
    const same = new Date("2026-02-01T00:00:00.000Z");
    for (let i = 0; i < 10; i++) await insertRun(h.db, job, { startedAt: i < 6 ? same : new Date(same.getTime() + i) });
    const rows = await h.db.jobRun.findMany({ where: { jobId: job.id } });
    const expected = [...rows]
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .map((r) => r.id);
    const pages = await walk(h.app, p.rawKey, `/jobs/${job.id}/runs`, "runs", { limit: "3" });
    expect(pages[0]).toHaveLength(3);
    expect(pages.flat().map((r) => r.id)).toEqual(expected);
  });

  it("walk combined with a status filter", async () => {
    const p = await h.tenant();
    const job = await createJob(h.app, p.rawKey);
    for (let i = 0; i < 9; i++) await insertRun(h.db, job, { status: i % 2 ? "failed" : "success" });
    const pages = await walk(h.app, p.rawKey, `/jobs/${job.id}/runs`, "runs", { limit: "2", status: "failed" });
    const all = pages.flat();
    expect(all).toHaveLength(4);
    expect(all.every((r) => r.status === "failed")).toBe(true);
  });
});

describe("api keys", () => {
  it("default limit is 50 and the walk covers every key once, with created_at ties", async () => {
    const p = await h.tenant();
    const same = new Date(Date.now() - 3600_000);
    await h.db.apiKey.createMany({
      data: Array.from({ length: 55 }, (_, i) => {
        const g = generateApiKey();
        return {
          tenantId: p.tenantId,
          name: `k${i}`,
          keyPrefix: g.prefix,
          keyHash: g.hash,
          scopes: ["jobs:read"],
          createdAt: i < 30 ? same : new Date(same.getTime() + i),
        };
      }),
    });
    const rows = byCreatedDescIdDesc(await h.db.apiKey.findMany({ where: { tenantId: p.tenantId } }));
    expect(rows).toHaveLength(56);
    const first = json(await call(h.app, "GET", "/api-keys", { key: p.rawKey }));
    expect(first.api_keys).toHaveLength(50);
    expect(typeof first.next_cursor).toBe("string");
    const pages = await walk(h.app, p.rawKey, "/api-keys", "api_keys", { limit: "7" });
    expect(pages.flat().map((k) => k.id)).toEqual(rows.map((r) => r.id));
  });
});
