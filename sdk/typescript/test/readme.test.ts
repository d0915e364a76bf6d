// Runs every README example, in order, against a live server (from the SDK sources).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { createFixture, startLiveServer, type Fixture, type LiveServer } from "./live.ts";
import { readmeBlocks, readmeProgram } from "./readme.ts";

let server: LiveServer;
let fixture: Fixture;

beforeAll(async () => {
  server = await startLiveServer();
  fixture = await createFixture(server);
});
afterAll(async () => {
  await server?.close();
});

describe("README examples", () => {
  it("has an example for every SDK method", () => {
    const all = readmeBlocks().join("\n");
    const methods = [
      "jobs.create", "jobs.list", "jobs.iterate", "jobs.get", "jobs.update", "jobs.delete", "jobs.pause", "jobs.resume",
      "jobs.trigger", "runs.list", "runs.iterate", "runs.get", "apiKeys.create", "apiKeys.list", "apiKeys.iterate",
      "apiKeys.revoke", "health", "jobs.rotateSigningSecret",
    ];
    for (const m of methods) expect(all, m).toContain(`client.${m}(`);
    expect(all).toContain("verifyWebhook(");
  });

  it("point at the API's default address, and the repository README imports verifyWebhook from the SDK", () => {
    expect(readmeBlocks()[0]).toContain('baseUrl: "http://localhost:8080"'); // PORT's default (packages/config)
    const root = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
    const signed = root.slice(root.indexOf("## Signed requests"), root.indexOf("## Secrets"));
    expect(signed).toMatch(/^import \{ verifyWebhook \} from "@btick\/sdk";$/m);
    expect(signed).toContain("verifyWebhook({ secret, headers: req.headers, body, toleranceSeconds: 300 })");
  });

  it("run in order against a live server", async () => {
    const dir = fileURLToPath(new URL("./.tmp/", import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = `${dir}readme-program.ts`;
    writeFileSync(file, readmeProgram({ importFrom: "../../src/index.ts", baseUrl: server.baseUrl, apiKey: server.principal.rawKey, ...fixture }));
    const lines: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      log.mockRestore();
    }
    const out = lines.join("\n");
    expect(out).toContain("manual trigger accepted");
    expect(out).toContain("400 INVALID_REQUEST Validation failed");
    expect(out).toMatch(/^cron_expression: /m);
    expect(out).toContain("job deleted");
    expect(out).toContain('{"status":"ok"}');
    expect(out).toContain(`signed by BTick, run ${fixture.runId}`);
    expect(out).toMatch(/^true \d{4}-\d\d-\d\dT/m);
    expect(lines.at(-1)).toBe("README OK");
    expect(await server.db.prisma.job.count({ where: { id: fixture.jobId } })).toBe(0);
    expect((await server.db.prisma.apiKey.findUniqueOrThrow({ where: { id: fixture.keyId } })).revokedAt).not.toBeNull();
  });
});
