// "Published" means: `npm pack` and `pnpm pack` both produce the same tarball, whose manifest resolves every
// export to a file in it and names only registry versions; installed into a fresh project that has only
// `typescript` and the tarball, it type-checks a program calling every method (strict; the README examples plus
// type assertions) and runs it against a live server.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createFixture, startLiveServer, type Fixture, type LiveServer } from "./live.ts";
import { readmeProgram } from "./readme.ts";

const exec = promisify(execFile);
const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const tsVersion = (createRequire(import.meta.url)("typescript/package.json") as { version: string }).version;

let server: LiveServer;
let fixture: Fixture;
let work: string;
let project: string;
/** The tarball each packer produced. */
const tarballs: Record<"npm" | "pnpm", string> = { npm: "", pnpm: "" };
let workspaceManifest: string;
let manifestAfterPacking: string;

/** Compile-time checks appended to the README program: real types, no `any`, wrong inputs rejected. */
const TYPE_CHECKS = `
// ---- type assertions (compile time only) ----
import type { Job, Run, RunDetail, ApiKey, JobsCreateInput, JobsListOutput, BTickError as BTickErrorType, ErrorCode, FetchLike, HttpMethod, RunStatus } from "@btick/sdk";
import { HTTP_METHODS, RUN_STATUSES } from "@btick/sdk";
type IsAny<T> = 0 extends 1 & T ? true : false;
type Out<F> = F extends (...args: never[]) => Promise<infer R> ? R : F extends (...args: never[]) => AsyncIterableIterator<infer R> ? R : never;
type In<F> = F extends (input: infer I, ...rest: never[]) => unknown ? I : never;
type NoAny<T> = IsAny<T> extends true ? "any leaked" : true;
const noAny: [
  NoAny<Out<BTick["jobs"]["create"]>>, NoAny<In<BTick["jobs"]["create"]>>, NoAny<Out<BTick["jobs"]["list"]>>, NoAny<In<BTick["jobs"]["list"]>>,
  NoAny<Out<BTick["jobs"]["iterate"]>>, NoAny<Out<BTick["jobs"]["get"]>>, NoAny<In<BTick["jobs"]["get"]>>, NoAny<Out<BTick["jobs"]["update"]>>,
  NoAny<In<BTick["jobs"]["update"]>>, NoAny<Out<BTick["jobs"]["delete"]>>, NoAny<Out<BTick["jobs"]["pause"]>>, NoAny<Out<BTick["jobs"]["resume"]>>,
  NoAny<Out<BTick["jobs"]["trigger"]>>, NoAny<Out<BTick["runs"]["list"]>>, NoAny<In<BTick["runs"]["list"]>>, NoAny<Out<BTick["runs"]["iterate"]>>,
  NoAny<Out<BTick["runs"]["get"]>>, NoAny<Out<BTick["apiKeys"]["create"]>>, NoAny<In<BTick["apiKeys"]["create"]>>, NoAny<Out<BTick["apiKeys"]["list"]>>,
  NoAny<Out<BTick["apiKeys"]["iterate"]>>, NoAny<Out<BTick["apiKeys"]["revoke"]>>, NoAny<Job["retry_max"]>, NoAny<Run["status"]>,
  NoAny<RunDetail["attempts"]>, NoAny<ApiKey["scopes"]>, NoAny<JobsCreateInput["body"]>, NoAny<BTickErrorType["validation"]>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
void noAny;
const typed = async (c: BTick): Promise<void> => {
  const page: JobsListOutput = await c.jobs.list();
  const retries: number = page.jobs[0]?.retry_max ?? 0;
  const status: "running" | "success" | "failed" | "lost" | "skipped" | "cancelled" | "blocked_by_policy" = (await c.runs.get({ runId: "x" })).run.status;
  const code: ErrorCode = "NOT_FOUND";
  void [retries, status, code];
  // @ts-expect-error jobId must be a string
  await c.jobs.get({ jobId: 42 });
  // @ts-expect-error cron_expression is required
  await c.jobs.create({ name: "n", method: "GET", url: "https://example.com" });
  // @ts-expect-error unknown scope
  await c.apiKeys.create({ name: "k", scopes: ["jobs:everything"] });
  // @ts-expect-error runs.list needs a jobId
  await c.runs.list({});
  // @ts-expect-error the output has no such field
  void (await c.jobs.get({ jobId: "x" })).job.nonexistent;
  // @ts-expect-error status is a number
  const s: string = (null as unknown as BTickErrorType).status;
  void s;

  // Methods are HTTP methods (any case on input), bodies are JSON, list filters are numbers and booleans.
  const method: HttpMethod = (await c.jobs.get({ jobId: "x" })).job.method;
  const requestMethod: (typeof HTTP_METHODS)[number] = (await c.runs.get({ runId: "x" })).run.request_method;
  const blocked: RunStatus = RUN_STATUSES[6];
  await c.jobs.update({ jobId: "x", method, body: { nested: [1, "two", null, { ok: true }] } });
  await c.jobs.update({ jobId: "x", method: "post", body: null });
  void [requestMethod, blocked];
  // @ts-expect-error not an HTTP method
  await c.jobs.create({ name: "n", method: "FETCH", url: "https://example.com", cron_expression: "0 * * * *" });
  // @ts-expect-error not an HTTP method
  await c.jobs.update({ jobId: "x", method: "connect" });
  // @ts-expect-error a function is not JSON
  await c.jobs.create({ name: "n", method: "POST", url: "https://example.com", cron_expression: "0 * * * *", body: () => 1 });
  // @ts-expect-error a Date is not JSON
  await c.jobs.update({ jobId: "x", body: { at: new Date() } });
  // @ts-expect-error limit is a number
  await c.jobs.list({ limit: "10" });
  // @ts-expect-error limit is a number
  await c.runs.list({ jobId: "x", limit: "10" });
  // @ts-expect-error enabled is a boolean
  await c.jobs.list({ enabled: "true" });
  // @ts-expect-error not a run status
  await c.runs.list({ jobId: "x", status: "done" });
  // @ts-expect-error job methods are upper-case
  const lower: HttpMethod = "get";
  void lower;
  // @ts-expect-error not an AbortSignal
  await c.jobs.list({}, { signal: { aborted: false } });
  // A fetch written without DOM types.
  const custom: FetchLike = async (_input, init) => ({ ok: true, status: 200, statusText: "OK", headers: { get: () => null }, text: async () => init.body ?? "" });
  void new BTick({ baseUrl: "http://localhost:8080", apiKey: "k", fetch: custom });
};
void typed;
`;

/** The same SDK in a project with the DOM lib: the environment's fetch and AbortSignal fit the SDK's types. */
const DOM_PROGRAM = `
import { BTick, type FetchLike } from "@btick/sdk";
const client = new BTick({ baseUrl: "http://localhost:8080", apiKey: "k", fetch: globalThis.fetch });
const wrapped: FetchLike = (input, init) => fetch(input, init);
void new BTick({ baseUrl: "http://localhost:8080", apiKey: "k", fetch: wrapped });
const controller = new AbortController();
void client.jobs.list({ limit: 5 }, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(1000)]) });
// @ts-expect-error not an AbortSignal
void client.jobs.list({}, { signal: { aborted: false, reason: undefined } });
`;

/** Node's \`console\` is all the README program needs from its environment; the SDK needs nothing. */
const CONSOLE = "declare const console: { log(...args: unknown[]): void };\n";

const tar = async (tarball: string, ...args: string[]) => (await exec("tar", [...args, tarball], { maxBuffer: 16 * 1024 * 1024 })).stdout;
const fileIn = (tarball: string, path: string) => exec("tar", ["-xzOf", tarball, `package/${path}`], { maxBuffer: 16 * 1024 * 1024 }).then((r) => r.stdout);

/** Every path an `exports` map (or `main`/`types`) points at. */
function exportTargets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(exportTargets);
  return [];
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "btick-sdk-pack-"));
  project = join(work, "project");
  workspaceManifest = readFileSync(join(pkgDir, "package.json"), "utf8");
  // One after the other: each rewrites package.json while it packs.
  for (const packer of ["pnpm", "npm"] as const) {
    const dest = join(work, packer);
    await exec("mkdir", ["-p", dest]);
    await exec(packer, ["pack", "--pack-destination", dest], { cwd: pkgDir, maxBuffer: 16 * 1024 * 1024 });
    const file = readdirSync(dest).find((f) => f.endsWith(".tgz"));
    if (!file) throw new Error(`${packer} pack produced no tarball`);
    tarballs[packer] = join(dest, file);
  }
  manifestAfterPacking = readFileSync(join(pkgDir, "package.json"), "utf8");
  server = await startLiveServer();
  fixture = await createFixture(server);
}, 400_000);

afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed @btick/sdk", () => {
  it("npm pack and pnpm pack publish the same manifest: exports inside the tarball, registry versions only", async () => {
    expect(manifestAfterPacking).toBe(workspaceManifest);
    const manifests: Record<string, unknown>[] = [];
    for (const [packer, tarball] of Object.entries(tarballs)) {
      const files = (await tar(tarball, "-tzf")).trim().split("\n").sort();
      expect(files, packer).toEqual(["package/LICENSE", "package/README.md", "package/dist/index.d.ts", "package/dist/index.js", "package/package.json"]);
      const manifest = JSON.parse(await fileIn(tarball, "package.json")) as Record<string, unknown>;
      expect(manifest, packer).toMatchObject({
        name: "@btick/sdk",
        version: "0.1.0",
        type: "module",
        license: "MIT",
        main: "./dist/index.js",
        types: "./dist/index.d.ts",
        exports: { ".": { types: "./dist/index.d.ts", import: "./dist/index.js" }, "./package.json": "./package.json" },
        repository: { type: "git", url: expect.stringMatching(/^git\+https:\/\/.+\.git$/), directory: "sdk/typescript" },
      });
      for (const target of exportTargets([manifest["exports"], manifest["main"], manifest["types"]])) {
        expect(files, `${packer}: ${target}`).toContain(`package/${target.replace(/^\.\//, "")}`);
      }
      expect(manifest["private"], packer).toBeUndefined();
      expect(manifest["devDependencies"], packer).toBeUndefined();
      expect(manifest["scripts"] ?? {}, packer).toEqual({});
      expect(Object.keys(manifest["dependencies"] as object).sort(), packer).toEqual(["@trpc/client", "@trpc/server"]);
      for (const field of ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"]) {
        for (const [name, spec] of Object.entries((manifest[field] ?? {}) as Record<string, string>)) {
          expect(spec, `${packer} ${field}.${name}`).toMatch(/^[~^]?\d+\.\d+\.\d+/);
        }
      }
      manifests.push(manifest);
    }
    expect(manifests[0]).toEqual(manifests[1]);
    for (const file of ["dist/index.js", "dist/index.d.ts", "README.md", "LICENSE"]) {
      expect(await fileIn(tarballs.npm, file), file).toBe(await fileIn(tarballs.pnpm, file));
    }
  });

  it("has self-contained declarations and code", async () => {
    const dts = await fileIn(tarballs.npm, "dist/index.d.ts");
    expect(dts).not.toMatch(/@btick\/|@prisma|\.prisma|from "\.\//);
    expect(dts).not.toMatch(/\bany\b/);
    const js = await fileIn(tarballs.npm, "dist/index.js");
    expect(js).not.toMatch(/@btick\//);
    expect([...js.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]).sort()).toEqual(["@trpc/client", "node:crypto"]);
  });

  it("installs into a project with only typescript, type-checks strictly and runs every method against a live server", async () => {
    await exec("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "sdk-consumer", private: true, type: "module" }, null, 2));
    await exec("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `typescript@${tsVersion}`, tarballs.npm], {
      cwd: project,
      maxBuffer: 16 * 1024 * 1024,
    });
    const installed = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(installed.dependencies).sort()).toEqual(["@btick/sdk", "typescript"]);

    // No DOM lib and no @types/node: the SDK's declarations must stand on ES2022 alone.
    const compilerOptions = {
      target: "ES2022",
      lib: ["ES2022"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noImplicitAny: true,
      exactOptionalPropertyTypes: false,
      skipLibCheck: false,
      noEmitOnError: true,
      outDir: "dist",
      types: [],
    };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["main.ts"] }));
    writeFileSync(
      join(project, "tsconfig.dom.json"),
      JSON.stringify({ compilerOptions: { ...compilerOptions, lib: ["ES2022", "DOM"], noEmit: true }, include: ["dom.ts"] }),
    );
    const program =
      CONSOLE + readmeProgram({ importFrom: "@btick/sdk", baseUrl: server.baseUrl, apiKey: server.principal.rawKey, ...fixture }) + TYPE_CHECKS;
    writeFileSync(join(project, "main.ts"), program);
    writeFileSync(join(project, "dom.ts"), DOM_PROGRAM);

    const tsc = (config: string) =>
      exec(process.execPath, [join(project, "node_modules/typescript/bin/tsc"), "-p", config], { cwd: project }).then(
        () => "",
        (e: { stdout?: string }) => e.stdout ?? String(e),
      );
    expect(await tsc("tsconfig.json")).toBe("");
    expect(await tsc("tsconfig.dom.json")).toBe("");

    const { stdout } = await exec(process.execPath, ["dist/main.js"], { cwd: project, maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toContain("manual trigger accepted");
    expect(stdout).toContain("400 INVALID_REQUEST Validation failed");
    expect(stdout).toContain("job deleted");
    // verifyWebhook is bundled into the tarball and checks the worker's signature.
    expect(stdout).toContain(`signed by BTick, run ${fixture.runId}`);
    expect(stdout.trim().split("\n").at(-1)).toBe("README OK");
  });
});
