// The container setup, checked without building images: docker-compose.yml through `docker compose config` (the
// client validates and normalizes it without an engine; `docker-compose` v1 when the plugin is missing), the
// Dockerfiles' stages, copied paths, start commands, user and health checks against the repository, and each app's
// bundle with its runtime dependencies, installed and started in a folder of its own as in the image.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

import { createEmptyDatabase } from "@btick/db/testing";
import { repoRoot } from "@btick/local-db";

import { runtimeLockfile, type PnpmLockfile } from "../../../packages/build/runtime-deps.mjs";

const REQUIRED_ENV = { POSTGRES_PASSWORD: "0123456789abcdef", SECRETS_ENCRYPTION_KEY: "dGVzdA==", UI_SESSION_SECRET: "x".repeat(40) };

/** `docker compose` when the plugin works, else `docker-compose`, else null. */
function composeCommand(): string[] | null {
  for (const cmd of [["docker", "compose"], ["docker-compose"]]) {
    const [bin, ...args] = cmd as [string, ...string[]];
    const r = spawnSync(bin, [...args, "version"], { encoding: "utf8" });
    if (r.status === 0) return cmd;
  }
  return null;
}

function composeConfig(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const cmd = composeCommand();
  if (!cmd) throw new Error("neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)");
  const [bin, ...args] = cmd as [string, ...string[]];
  // Only PATH and the given variables: the developer's environment must not fill in required values.
  // An empty --env-file: a developer's ./.env must not fill in required values either.
  const emptyEnv = join(mkdtempSync(join(tmpdir(), "btick-compose-")), "empty.env");
  writeFileSync(emptyEnv, "");
  const r = spawnSync(bin, [...args, "-f", "docker-compose.yml", "--project-directory", repoRoot, "--env-file", emptyEnv, "config"], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function composeDoc(env: Record<string, string>): { services: Record<string, Service>; volumes: Record<string, unknown> } {
  const r = composeConfig(env);
  expect(r.status, r.stderr).toBe(0);
  return parse(r.stdout) as { services: Record<string, Service>; volumes: Record<string, unknown> };
}

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  // Long syntax (docker compose v2), or "ip:published:target/proto" strings (docker-compose v1 with a host IP).
  ports?: ({ published: string | number; target: number; host_ip?: string } | string)[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: ({ type?: string; source?: string; target?: string } | string)[];
  container_name?: string;
}

describe("docker-compose.yml", () => {
  it("a compose client is installed (this test must not pass by skipping)", () => {
    expect(composeCommand(), "install docker-compose (Debian package) or the docker compose plugin").not.toBeNull();
  });

  it("is valid and has postgres, the API on 8080, a scalable worker and Adminer on 127.0.0.1:8010, started after a healthy database", () => {
    const r = composeConfig(REQUIRED_ENV);
    expect(r.status, r.stderr).toBe(0);
    const doc = parse(r.stdout) as { services: Record<string, Service>; volumes: Record<string, unknown> };
    const s = doc.services;
    expect(Object.keys(s).sort()).toEqual(["adminer", "postgres", "scheduler-api", "scheduler-worker"]);

    const pg = s.postgres as Service;
    expect(pg.healthcheck?.test.join(" ")).toMatch(/pg_isready/);
    const pgVolume = JSON.stringify(pg.volumes);
    expect(pgVolume).toMatch(/postgres-data/);
    expect(Object.keys(doc.volumes)).toContain("postgres-data");

    /** "[host ip:]published:target" */
    const published = (svc: Service) =>
      (svc.ports ?? []).map((p) =>
        typeof p === "string" ? p.replace(/\/tcp$/, "") : `${p.host_ip ? `${p.host_ip}:` : ""}${String(p.published)}:${p.target}`,
      );
    expect(published(s["scheduler-api"] as Service)).toEqual(["8080:8080"]);
    // The database console and the database are not reachable from other hosts.
    expect(published(s.adminer as Service)).toEqual(["127.0.0.1:8010:8080"]);
    expect(published(pg)).toEqual([]);

    const worker = s["scheduler-worker"] as Service;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
    expect(worker.environment?.WORKER_METRICS_PORT).toBe("9464");
    expect(worker.environment?.WORKER_ALLOW_PRIVATE_NETWORKS).toBe("false");

    for (const name of ["scheduler-api", "scheduler-worker", "adminer"]) {
      expect((s[name] as Service).depends_on?.postgres?.condition, name).toBe("service_healthy");
    }
    expect((s["scheduler-api"] as Service).build?.dockerfile).toBe("Dockerfile.api");
    expect(worker.build?.dockerfile).toBe("Dockerfile.worker");
    const api = s["scheduler-api"] as Service;
    expect(api.environment?.SECRETS_ENCRYPTION_KEY).toBe(REQUIRED_ENV.SECRETS_ENCRYPTION_KEY);
    expect(api.environment?.API_ALLOW_PRIVATE_NETWORKS).toBe("false");
    // The database password comes from the environment (.env), not from the file.
    expect(pg.environment?.POSTGRES_PASSWORD).toBe(REQUIRED_ENV.POSTGRES_PASSWORD);
    expect(api.environment?.DATABASE_URL).toBe(`postgresql://btick:${REQUIRED_ENV.POSTGRES_PASSWORD}@postgres:5432/btick`);
    expect(worker.environment?.DATABASE_URL).toBe(api.environment?.DATABASE_URL);
    // /metrics on the published API port has no authentication: off unless asked for.
    expect(api.environment?.API_METRICS_ENABLED).toBe("false");
    expect(composeDoc({ ...REQUIRED_ENV, API_METRICS_ENABLED: "true" }).services["scheduler-api"]?.environment?.API_METRICS_ENABLED).toBe("true");
  });

  it.each(Object.keys(REQUIRED_ENV))("refuses to render without %s", (name) => {
    const r = composeConfig(Object.fromEntries(Object.entries(REQUIRED_ENV).filter(([k]) => k !== name)));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(name);
  });
});

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions with continuations joined and comments dropped. */
function instructions(file: string): Instruction[] {
  const text = readFileSync(join(repoRoot, file), "utf8");
  const out: Instruction[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (current === "" && (line.trim().startsWith("#") || line.trim() === "")) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(current);
    if (m) out.push({ op: (m[1] as string).toUpperCase(), args: (m[2] as string).trim() });
    current = "";
  }
  return out;
}

interface Stage {
  name: string;
  from: string;
  lines: Instruction[];
}

function stages(ins: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const i of ins) {
    if (i.op === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args);
      out.push({ name: m?.[2] ?? String(out.length), from: m?.[1] ?? "", lines: [] });
    } else {
      out.at(-1)?.lines.push(i);
    }
  }
  return out;
}

const bundler = readFileSync(join(repoRoot, "packages/build/bundle-app.mjs"), "utf8");

describe.each([
  ["Dockerfile.api", "api", "@btick/api"],
  ["Dockerfile.worker", "worker", "@btick/worker"],
])("%s", (file, app, pkg) => {
  const ins = instructions(file);
  const st = stages(ins);
  const runtime = st.at(-1) as Stage;

  it("builds from a pinned Node 20 image", () => {
    const arg = ins.find((i) => i.op === "ARG" && i.args.startsWith("NODE_VERSION="));
    expect(arg?.args).toMatch(/^NODE_VERSION=20\.\d+\.\d+$/);
    for (const s of st) expect(s.from).toMatch(/^(node:\$\{NODE_VERSION\}-bookworm-slim|[a-z]+)$/);
    expect(runtime.from).toBe("node:${NODE_VERSION}-bookworm-slim");
  });

  it("copies only paths that exist in the repository or that an earlier stage produces", () => {
    const names = st.map((s) => s.name);
    st.forEach((stage, index) => {
      for (const copy of stage.lines.filter((l) => l.op === "COPY")) {
        const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith("--chown") && !p.startsWith("--chmod"));
        const fromFlag = parts.find((p) => p.startsWith("--from="));
        const [src] = parts.filter((p) => !p.startsWith("--"));
        expect(src, `${file}: ${copy.args}`).toBeDefined();
        if (!fromFlag) {
          expect(existsSync(join(repoRoot, src as string)), `${file}: COPY source ${src} missing`).toBe(true);
          continue;
        }
        const from = fromFlag.slice("--from=".length);
        expect(names.slice(0, index), `${file}: COPY --from=${from} names no earlier stage`).toContain(from);
        const producer = st.find((s) => s.name === from) as Stage;
        const runs = producer.lines.filter((l) => l.op === "RUN").map((l) => l.args).join("\n");
        if (src?.startsWith("/out")) {
          // The bundle's runtime dependencies: installed in /out from the package.json and lockfile the bundler writes
          // next to dist/main.js, nothing else.
          expect(src).toBe("/out/node_modules");
          expect(runs).toMatch(new RegExp(`cp apps/${app}/dist/package.json apps/${app}/dist/pnpm-lock.yaml /out/`));
          expect(runs).toMatch(/cd \/out && pnpm install --frozen-lockfile --prod /);
          expect(runs).not.toMatch(/pnpm deploy/);
        } else if (src === `/repo/apps/${app}/dist`) {
          expect(producer.lines.some((l) => l.op === "WORKDIR" && l.args === "/repo")).toBe(true);
          expect(producer.lines.some((l) => l.op === "COPY" && l.args === ". .")).toBe(true);
          expect(runs).toMatch(new RegExp(`turbo run build --filter=${pkg}`));
          const manifest = JSON.parse(readFileSync(join(repoRoot, `apps/${app}/package.json`), "utf8")) as { scripts: Record<string, string> };
          // The bundler writes dist/; the API's build also compiles its stylesheet into dist/public.
          expect(manifest.scripts.build).toMatch(/^btick-bundle( && |$)/);
        } else {
          throw new Error(`${file}: unexpected COPY --from source ${src}`);
        }
      }
    });
  });

  it("installs packages without --offline (pnpm's metadata cache is empty in a fresh build)", () => {
    for (const run of ins.filter((l) => l.op === "RUN" && /\bpnpm (install|deploy|add|fetch)\b/.test(l.args))) {
      expect(run.args, `${file}: ${run.args}`).not.toMatch(/--offline\b/);
    }
  });

  it("starts node on the bundle the build produces, in exec form (SIGTERM reaches node)", () => {
    const cmd = runtime.lines.filter((l) => l.op === "CMD").at(-1);
    expect(JSON.parse(cmd?.args ?? "null")).toEqual(["node", "dist/main.js"]);
    expect(runtime.lines.some((l) => l.op === "WORKDIR" && l.args === "/app")).toBe(true);
    expect(runtime.lines.some((l) => l.op === "COPY" && l.args === `--from=build /repo/apps/${app}/dist ./dist`)).toBe(true);
    expect(ins.some((l) => l.op === "ENTRYPOINT")).toBe(false);
    // The bundler writes dist/main.js (by default) and the migrations next to it.
    expect(bundler).toContain('outdir: { type: "string", default: "dist" }');
    expect(bundler).toContain("outfile: `${outDir}/main.js`");
    expect(bundler).toMatch(/dist\/migrations/);
  });

  it("runs as a non-root user with tzdata installed and a HEALTHCHECK on /healthz", () => {
    const user = runtime.lines.filter((l) => l.op === "USER").at(-1);
    expect(user?.args).toMatch(/^\d+:\d+$/);
    expect(user?.args.split(":")[0]).not.toBe("0");
    const runs = runtime.lines.filter((l) => l.op === "RUN").map((l) => l.args).join("\n");
    expect(runs).toMatch(/apt-get install [^\n]*tzdata/);
    expect(runs).toMatch(/useradd [^\n]*--uid 10001/);
    const health = runtime.lines.find((l) => l.op === "HEALTHCHECK");
    expect(health?.args).toMatch(/CMD \[/);
    expect(health?.args).toContain("/healthz");
    if (app === "worker") expect(health?.args).toContain("WORKER_METRICS_PORT");
  });
});

describe(".dockerignore", () => {
  it("keeps host dependencies, build output and local data out of the build context", () => {
    const lines = readFileSync(join(repoRoot, ".dockerignore"), "utf8").split("\n");
    for (const entry of ["**/node_modules", "**/dist", ".env", "data"]) expect(lines).toContain(entry);
  });
});

// ---- The bundles and their runtime dependencies, built and run the way the images do ----

interface RuntimeManifest {
  type?: string;
  dependencies: Record<string, string>;
}

type Lockfile = PnpmLockfile;

const workspaceLock = parse(readFileSync(join(repoRoot, "pnpm-lock.yaml"), "utf8")) as Lockfile;
const packageName = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
const isPackage = (specifier: string) => !/^[./#]/.test(specifier) && !specifier.startsWith("node:") && !isBuiltin(specifier);
/** Tools that have no business in a production image. */
const BUILD_OR_DEV_TOOL = /^(prisma|@prisma\/|typescript|react|react-dom|esbuild|@esbuild\/|tsx|@electric-sql\/|vitest|@vitest\/|@types\/|tailwindcss|@tailwindcss\/|eslint|turbo)@/;

/** What an esbuild ESM bundle loads from node_modules: its top-level imports, require()s and resolve()d paths. */
function loadedPackages(code: string): { imported: Set<string>; required: Set<string>; resolved: Set<string> } {
  const collect = (re: RegExp) => new Set([...code.matchAll(re)].map((m) => m[1] as string).filter(isPackage).map(packageName));
  return {
    imported: collect(/^import\s*(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"']+)["']/gm),
    required: collect(/\b__require\(\s*["']([^"']+)["']\s*\)/g),
    resolved: collect(/\b(?:require|\w*createRequire\w*\([^()]*\)|import\.meta)\.resolve\(\s*["'`]([^"'`]+)["'`]/gi),
  };
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const r = spawnSync(cmd, args, { ...opts, encoding: "utf8", timeout: 180_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

/** Starts `node dist/main.js` in dir with only the given environment; resolves once url answers 200. */
async function startBundle(dir: string, env: Record<string, string>, url: string): Promise<{ child: ChildProcess; output: string[] }> {
  const output: string[] = [];
  const child = spawn(process.execPath, ["dist/main.js"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", NODE_OPTIONS: "--enable-source-maps", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => output.push(c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => output.push(c.toString("utf8")));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node dist/main.js exited (${child.exitCode}):\n${output.join("")}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return { child, output };
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 30 s:\n${output.join("")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** The pnpm store the workspace was installed from (runtime installs below are offline, from it). */
function storeDir(): string {
  const modules = parse(readFileSync(join(repoRoot, "node_modules", ".modules.yaml"), "utf8")) as { storeDir: string };
  return modules.storeDir;
}

describe.each(["api", "worker"])("the %s bundle", (app) => {
  // The image's /app: dist/ from the bundler, node_modules/ installed from dist/package.json + dist/pnpm-lock.yaml.
  const scratch = mkdtempSync(join(tmpdir(), `btick-${app}-image-`));
  const appRoot = join(scratch, "app");
  const dist = join(appRoot, "dist");
  let built: { manifest: RuntimeManifest; lock: Lockfile; code: string } | undefined;
  /** Runs the app's bundler into the scratch dist/ (once). */
  function bundle() {
    if (!built) {
      run(process.execPath, [join(repoRoot, "packages/build/bundle-app.mjs"), "--outdir", dist], { cwd: join(repoRoot, "apps", app) });
      built = {
        manifest: JSON.parse(readFileSync(join(dist, "package.json"), "utf8")) as RuntimeManifest,
        lock: parse(readFileSync(join(dist, "pnpm-lock.yaml"), "utf8")) as Lockfile,
        code: readFileSync(join(dist, "main.js"), "utf8"),
      };
    }
    return built;
  }

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("dist/package.json depends on exactly what dist/main.js loads from node_modules, at the workspace lockfile's versions", () => {
    const { manifest, lock, code } = bundle();
    const { imported, required, resolved } = loadedPackages(code);
    const importer = workspaceLock.importers[`apps/${app}`]?.dependencies ?? {};
    // require() calls left in the bundle are optional modules that are installed nowhere (e.g. pg-native).
    const installed = (name: string) => existsSync(join(repoRoot, "node_modules", ".pnpm", "node_modules", name));
    for (const name of required) if (!imported.has(name) && !resolved.has(name)) expect(installed(name), `${name} is require()d but not shipped`).toBe(false);
    expect(Object.keys(manifest.dependencies).sort()).toEqual([...new Set([...imported, ...resolved])].sort());
    for (const [name, version] of Object.entries(manifest.dependencies)) {
      expect(importer[name]?.version.split("(")[0], `${name} in pnpm-lock.yaml (apps/${app})`).toBe(version);
      expect(lock.importers["."]?.dependencies?.[name]?.specifier).toBe(version);
    }
    expect(manifest.type).toBe("module");
    expect(Object.keys(lock.packages ?? {}).filter((key) => BUILD_OR_DEV_TOOL.test(key))).toEqual([]);
  });

  it("installs its runtime dependencies from its lockfile alone, and runs from dist and them in a folder of its own", async () => {
    const { manifest } = bundle();
    const out = join(scratch, "out");
    mkdirSync(out);
    for (const f of ["package.json", "pnpm-lock.yaml"]) copyFileSync(join(dist, f), join(out, f));
    run("pnpm", ["install", "--frozen-lockfile", "--prod", "--ignore-scripts", "--offline", "--store-dir", storeDir()], {
      cwd: out,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", CI: "true" },
    });
    cpSync(join(out, "node_modules"), join(appRoot, "node_modules"), { recursive: true, verbatimSymlinks: true });
    const virtualStore = join(appRoot, "node_modules", ".pnpm");
    const installed = existsSync(virtualStore) ? readdirSync(virtualStore).filter((d) => d.includes("@")) : [];
    expect(installed.length > 0).toBe(Object.keys(manifest.dependencies).length > 0);
    expect(installed.filter((d) => BUILD_OR_DEV_TOOL.test(d.replace(/^@([^+]+)\+/, "@$1/")))).toEqual([]);

    const db = await createEmptyDatabase("btick_image");
    const env = { DATABASE_URL: db.url, SECRETS_ENCRYPTION_KEY: randomBytes(32).toString("base64") };
    let child: ChildProcess | undefined;
    try {
      if (app === "worker") {
        const port = await freePort();
        const started = await startBundle(appRoot, { ...env, WORKER_METRICS_PORT: String(port), WORKER_METRICS_HOST: "127.0.0.1", WORKER_TASK_LOG_PATH: "off" }, `http://127.0.0.1:${port}/readyz`);
        child = started.child;
        const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
        expect(metrics).toContain("btick_worker_runs_in_flight");
      } else {
        const port = await freePort();
        const base = `http://127.0.0.1:${port}`;
        const started = await startBundle(appRoot, { ...env, HOST: "127.0.0.1", PORT: String(port), UI_SESSION_SECRET: randomBytes(48).toString("base64") }, `${base}/readyz`);
        child = started.child;
        // htmx.org's file, resolved at run time from node_modules.
        const htmx = await fetch(`${base}/assets/htmx.min.js`);
        expect(htmx.status).toBe(200);
        expect((await htmx.text()).length).toBeGreaterThan(10_000);
        // Scalar's browser bundle, compiled into dist/main.js.
        const docs = await fetch(`${base}/docs/js/scalar.js`);
        expect(docs.status).toBe(200);
        // Registration hashes the password with argon2, the native addon installed next to the bundle.
        const page = await fetch(`${base}/register`);
        const cookie = page.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
        const csrf = /name="_csrf"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="_csrf"/.exec(await page.text());
        const registered = await fetch(`${base}/register`, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded", cookie },
          body: new URLSearchParams({ _csrf: csrf?.[1] ?? csrf?.[2] ?? "", email: "image@example.com", password: "correct-horse-battery" }),
        });
        expect(registered.status, started.output.join("")).toBe(303);
      }
    } finally {
      await stop(child);
      await db.drop();
    }
  });
});

describe("the runtime lockfile cut out of pnpm-lock.yaml", () => {
  /** Every dependency a snapshot names is itself in the lockfile, with its package entry. */
  function expectSelfContained(lock: Lockfile): void {
    const snapshots = lock.snapshots ?? {};
    const refs = [
      ...Object.entries(lock.importers["."]?.dependencies ?? {}).map(([name, d]) => `${name}@${d.version}`),
      ...Object.values(snapshots).flatMap((snap) =>
        Object.entries({ ...snap.dependencies, ...snap.optionalDependencies }).map(([name, ref]) => (snapshots[ref] ? ref : `${name}@${ref}`)),
      ),
    ];
    for (const ref of refs) expect(Object.keys(snapshots), ref).toContain(ref);
    for (const key of Object.keys(snapshots)) expect(lock.packages?.[key.replace(/\(.*$/, "")], key).toBeDefined();
  }

  it("leaves out the optional peers the workspace happened to link (Prisma's CLI and TypeScript for @prisma/client)", () => {
    const workspaceKey = Object.keys(workspaceLock.snapshots ?? {}).find((k) => k.startsWith("@prisma/client@"));
    expect(workspaceKey, "the workspace links @prisma/client to its optional peers").toMatch(/\(prisma@.*\(typescript@/);
    const { dependencies, lockfile } = runtimeLockfile(workspaceLock, "apps/worker", ["@prisma/client"]);
    const version = dependencies["@prisma/client"] as string;
    expect(lockfile.importers["."]?.dependencies).toEqual({ "@prisma/client": { specifier: version, version } });
    expect(Object.keys(lockfile.snapshots ?? {}).filter((k) => BUILD_OR_DEV_TOOL.test(k))).toEqual([]);
    expect(Object.keys(lockfile.snapshots ?? {})).toContain(`@prisma/client@${version}`);
    expectSelfContained(lockfile);
  });

  it("keeps required peers (zod-openapi for trpc-to-openapi)", () => {
    const { lockfile } = runtimeLockfile(workspaceLock, "apps/api", ["trpc-to-openapi"]);
    const keys = Object.keys(lockfile.snapshots ?? {});
    expect(keys.some((k) => k.startsWith("zod-openapi@"))).toBe(true);
    expect(keys.find((k) => k.startsWith("trpc-to-openapi@"))).toMatch(/\(zod-openapi@/);
    expectSelfContained(lockfile);
  });

  it("is accepted by pnpm install --frozen-lockfile", () => {
    const dir = mkdtempSync(join(tmpdir(), "btick-runtime-lock-"));
    try {
      const { dependencies, lockfile } = runtimeLockfile(workspaceLock, "apps/api", ["@prisma/client", "trpc-to-openapi"]);
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "runtime-lock-test", private: true, dependencies }));
      writeFileSync(join(dir, "pnpm-lock.yaml"), stringify(lockfile));
      run("pnpm", ["install", "--frozen-lockfile", "--prod", "--ignore-scripts", "--offline", "--store-dir", storeDir()], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", CI: "true" },
      });
      const installed = readdirSync(join(dir, "node_modules", ".pnpm"));
      expect(installed.some((d) => d.startsWith("@prisma+client@"))).toBe(true);
      expect(installed.filter((d) => /^(prisma|@prisma\+studio-core|react)@/.test(d))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
