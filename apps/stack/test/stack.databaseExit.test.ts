// `pnpm start` for real (test/fixtures/stack.ts: the embedded PostgreSQL with its cluster in a temporary directory,
// the API and the worker as child processes, on free ports), then the database is killed with SIGKILL: the stack
// must notice, stop the API and the worker, and exit non-zero. Started again on the same data, it recovers.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { afterAll, describe, expect, it } from "vitest";

import { readPidFile } from "@btick/local-db";

const here = fileURLToPath(new URL(".", import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Direct children of `pid` with their command lines. */
function childrenOf(pid: number): { pid: number; args: string }[] {
  const r = spawnSync("ps", ["-o", "pid=,args=", "--ppid", String(pid)], { encoding: "utf8" });
  return r.stdout
    .split("\n")
    .map((l) => l.trim().match(/^(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), args: m[2] as string }));
}

interface Stack {
  child: ChildProcess;
  output: string[];
  exited: Promise<number>;
}

// PostgreSQL runs as the unprivileged `postgres` user when we are root: it must be able to enter the directory.
const root = mkdtempSync(join(tmpdir(), "btick-stack-"));
chmodSync(root, 0o755);
const dataDir = join(root, "postgres");
const started: Stack[] = [];

async function startStack(): Promise<Stack> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: "127.0.0.1",
    PORT: String(await freePort()),
    EMBEDDED_POSTGRES_PORT: String(await freePort()),
    WORKER_METRICS_PORT: "0",
    WORKER_TASK_LOG_PATH: join(root, "tasks"),
    LOG_LEVEL: "warn",
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", tsxLoader, join(here, "fixtures", "stack.ts"), dataDir], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const capture = (chunk: Buffer) => output.push(...chunk.toString("utf8").split("\n").filter((l) => l.trim()));
  child.stdout?.on("data", capture);
  child.stderr?.on("data", capture);
  const exited = new Promise<number>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 0))));
  const stack = { child, output, exited };
  started.push(stack);
  return stack;
}

/** Resolves once a line of the stack's output matches, or fails when the stack exits first. */
async function lineMatching(stack: Stack, re: RegExp): Promise<string> {
  for (;;) {
    const line = stack.output.find((l) => re.test(l));
    if (line) return line;
    const code = await Promise.race([stack.exited, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
    if (code !== null) throw new Error(`the stack exited (code ${code}) before printing ${re}:\n${stack.output.slice(-30).join("\n")}`);
  }
}

afterAll(async () => {
  for (const s of started) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill("SIGINT");
      await s.exited;
    }
  }
  rmSync(root, { recursive: true, force: true });
}, 120_000);

describe("pnpm start when its embedded PostgreSQL dies", () => {
  it("stops the API and the worker and exits non-zero", async () => {
    const stack = await startStack();
    await lineMatching(stack, /\[stack\] BTick is running/);
    const postgres = readPidFile(dataDir);
    expect(postgres).not.toBeNull();
    const services = childrenOf(stack.child.pid as number).filter((c) => /apps\/(api|worker)\/src\/main\.ts/.test(c.args));
    expect(services.map((s) => s.args.match(/apps\/(\w+)\//)?.[1]).sort()).toEqual(["api", "worker"]);

    process.kill(postgres?.pid as number, "SIGKILL");

    const code = await stack.exited;
    expect(code, stack.output.slice(-30).join("\n")).not.toBe(0);
    expect(stack.output.join("\n")).toMatch(/\[stack\] PostgreSQL \(pid \d+\) exited unexpectedly; stopping everything/);
    for (const s of services) expect(isAlive(s.pid), s.args).toBe(false);
  }, 180_000);

  it("starts again on the same data afterwards", async () => {
    const stack = await startStack();
    await lineMatching(stack, /\[stack\] BTick is running/);
    stack.child.kill("SIGINT");
    expect(await stack.exited, stack.output.slice(-30).join("\n")).toBe(0);
  }, 180_000);
});
