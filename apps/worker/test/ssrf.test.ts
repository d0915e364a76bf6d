// Outbound-call policy at connect time: literal IPs, resolved hostnames and redirect targets are checked; a refused
// call is recorded as blocked_by_policy after one attempt and never reaches the target.
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { createJob, createTenant, makeWorker, startTarget, type Target } from "./helpers.ts";

let tdb: TestDatabase;
let target: Target;
let tenantId: string;
let port: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  target = await startTarget();
  port = new URL(target.url).port;
  tenantId = await createTenant(tdb.prisma);
});
afterAll(async () => {
  await target.close();
  await tdb.drop();
});
afterEach(async () => {
  await tdb.prisma.job.deleteMany();
  target.requests.length = 0;
  target.handler = (_req, res) => {
    res.writeHead(200);
    res.end("ok");
  };
});

async function runOne(url: string, options: Parameters<typeof makeWorker>[1] = {}) {
  const job = await createJob(tdb.prisma, tenantId, { url, retryMax: 3 });
  const worker = await makeWorker(tdb.prisma, { allowPrivateNetworks: false, ...options });
  const [summary] = await worker.runOnce();
  await worker.stop();
  const run = await tdb.prisma.jobRun.findFirstOrThrow({ where: { jobId: job.id }, include: { attempts: true } });
  return { run, summary };
}

describe("the outbound network policy (default: private networks refused)", () => {
  it("refuses a literal loopback IP without retrying, recording blocked_by_policy", async () => {
    const { run, summary } = await runOne(`http://127.0.0.1:${port}/hook`);
    expect(summary).toMatchObject({ status: "blocked_by_policy", attempts: 1, recorded: true });
    expect(run.status).toBe("blocked_by_policy");
    expect(run.errorMessage).toMatch(/^blocked by outbound network policy: 127\.0\.0\.1 is a loopback address/);
    expect(run.attempts.map((a) => a.outcome)).toEqual(["blocked"]);
    expect(target.requests).toHaveLength(0);
  });

  it("checks the resolved address of a hostname", async () => {
    const { run } = await runOne(`http://localhost:${port}/hook`);
    expect(run.status).toBe("blocked_by_policy");
    expect(run.errorMessage).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(target.requests).toHaveLength(0);
  });

  it("refuses IPv4-mapped IPv6 literals", async () => {
    const { run } = await runOne(`http://[::ffff:127.0.0.1]:${port}/hook`);
    expect(run.status).toBe("blocked_by_policy");
    expect(run.errorMessage).toMatch(/loopback address/);
  });

  it("allows hosts, addresses and ranges on the allow-list", async () => {
    expect((await runOne(`http://127.0.0.1:${port}/a`, { allowedHosts: ["127.0.0.0/8"] })).run.status).toBe("success");
    expect((await runOne(`http://localhost:${port}/b`, { allowedHosts: ["localhost"] })).run.status).toBe("success");
    expect((await runOne(`http://127.0.0.1:${port}/c`, { allowPrivateNetworks: true })).run.status).toBe("success");
    expect(target.requests.map((r) => r.url)).toEqual(["/a", "/b", "/c"]);
  });

  it("checks redirect targets too (a followed redirect cannot reach a refused address)", async () => {
    target.handler = (_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.2:${port}/internal` });
      res.end();
    };
    const { run } = await runOne(`http://localhost:${port}/start`, { allowedHosts: ["localhost"], followRedirects: true });
    expect(run.status).toBe("blocked_by_policy");
    expect(run.errorMessage).toMatch(/127\.0\.0\.2 is a loopback address/);
    expect(target.requests.map((r) => r.url)).toEqual(["/start"]);
  });
});
