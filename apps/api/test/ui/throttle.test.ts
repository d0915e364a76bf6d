// Sign-in, registration and password-change throttling with the server built exactly as `pnpm start` builds it
// (serverDepsFromEnv over the default environment), with the API's own rate limit on and off: the UI's limits must
// not depend on the API's.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { loadApiEnv } from "@btick/config";
import { createUser } from "@btick/contract/users";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { SESSION_COOKIE } from "../../src/plugins/session.ts";
import { DEFAULT_THROTTLE } from "../../src/plugins/ui.ts";
import { buildServer } from "../../src/server.ts";
import { serverDepsFromEnv } from "../../src/serverDeps.ts";
import { THROTTLED } from "../../src/ui/pages/auth.tsx";
import { parseSetCookies, UiClient, uniqueEmail } from "./client.ts";

let db: TestDatabase;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  db = await createTestDatabase("btick_ui_throttle");
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await db.drop();
});

const CONFIGS = [
  { label: "default configuration", env: {} },
  { label: "API_RATE_LIMIT_PER_MINUTE=0", env: { API_RATE_LIMIT_PER_MINUTE: "0" } },
] as const;

describe.each(CONFIGS)("UI throttling with the $label", ({ env }) => {
  /** A fresh server (fresh counters) configured from the environment, as main.ts does. */
  async function server(): Promise<FastifyInstance> {
    const { deps } = serverDepsFromEnv(loadApiEnv({ DATABASE_URL: db.url, ...env }), db.prisma);
    const app = await buildServer(deps);
    apps.push(app);
    return app;
  }

  async function attemptLogin(app: FastifyInstance, email: string, password: string) {
    const c = new UiClient(app);
    await c.get("/login");
    return c.post("/login", { email, password });
  }

  function expectThrottledPage(res: Awaited<ReturnType<UiClient["post"]>>): void {
    expect(res.statusCode).toBe(429);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain(THROTTLED);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(parseSetCookies(res).some((c) => c.name === SESSION_COOKIE)).toBe(false);
  }

  it(`refuses sign-in for an email after ${DEFAULT_THROTTLE.loginPerAccount} attempts, even with the right password`, async () => {
    const app = await server();
    const email = uniqueEmail("throttle-account");
    await createUser(db.prisma, { email, password: "right password" });
    for (let i = 0; i < DEFAULT_THROTTLE.loginPerAccount; i++) expect((await attemptLogin(app, email, `wrong ${i}`)).statusCode).toBe(401);
    expectThrottledPage(await attemptLogin(app, email, "right password"));
  });

  it(`refuses sign-in from an IP after ${DEFAULT_THROTTLE.loginPerIp} attempts across accounts`, async () => {
    const app = await server();
    for (let i = 0; i < DEFAULT_THROTTLE.loginPerIp; i++) expect((await attemptLogin(app, uniqueEmail("spray"), "whatever1")).statusCode).toBe(401);
    expectThrottledPage(await attemptLogin(app, uniqueEmail("spray"), "whatever1"));
  });

  it(`refuses registration from an IP after ${DEFAULT_THROTTLE.registerPerIp} attempts`, async () => {
    const app = await server();
    for (let i = 0; i < DEFAULT_THROTTLE.registerPerIp; i++) {
      const c = new UiClient(app);
      await c.get("/register");
      expect((await c.post("/register", { email: "not-an-email", password: "x" })).statusCode).toBe(422);
    }
    const c = new UiClient(app);
    await c.get("/register");
    const email = uniqueEmail("late");
    expectThrottledPage(await c.post("/register", { email, password: "right password" }));
    expect(await db.prisma.user.count({ where: { email } })).toBe(0);
  });

  it(`refuses password changes for a user after ${DEFAULT_THROTTLE.passwordChangePerUser} attempts`, async () => {
    const app = await server();
    const email = uniqueEmail("throttle-pw");
    await createUser(db.prisma, { email, password: "old password" });
    const c = new UiClient(app);
    await c.login(email, "old password");
    for (let i = 0; i < DEFAULT_THROTTLE.passwordChangePerUser; i++) {
      expect((await c.post("/ui/account/password", { current_password: `guess ${i}`, new_password: "new password" })).statusCode).toBe(422);
    }
    expectThrottledPage(await c.post("/ui/account/password", { current_password: "old password", new_password: "new password" }));
    expect((await new UiClient(app).login(email, "new password")).statusCode).toBe(401);
  });
});
