// The container setup, checked without building images: docker-compose.yml through `docker compose config` (the
// client validates and normalizes it without an engine; `docker-compose` v1 when the plugin is missing), and the
// Dockerfiles' stages, copied paths, start commands, user and health checks against the repository.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";
import { parse } from "yaml";

import { repoRoot } from "@btick/local-db";

const REQUIRED_ENV = { SECRETS_ENCRYPTION_KEY: "dGVzdA==", UI_SESSION_SECRET: "x".repeat(40) };

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

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  ports?: { published: string | number; target: number }[];
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

  it("is valid and has postgres, the API on 8080, a scalable worker and Adminer on 8010, started after a healthy database", () => {
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

    const published = (svc: Service) => (svc.ports ?? []).map((p) => `${String(p.published)}:${p.target}`);
    expect(published(s["scheduler-api"] as Service)).toEqual(["8080:8080"]);
    expect(published(s.adminer as Service)).toEqual(["8010:8080"]);

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
    expect(api.environment?.DATABASE_URL).toMatch(/^postgresql:\/\/btick:[^@]+@postgres:5432\/btick$/);
  });

  it("refuses to render without the encryption key and session secret", () => {
    const r = composeConfig({});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/SECRETS_ENCRYPTION_KEY|UI_SESSION_SECRET/);
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
          // `pnpm deploy … /out` of this app, production dependencies only.
          expect(runs).toMatch(new RegExp(`pnpm deploy [^\\n]*--filter=${pkg} [^\\n]*--prod[^\\n]* /out`));
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

  it("starts node on the bundle the build produces, in exec form (SIGTERM reaches node)", () => {
    const cmd = runtime.lines.filter((l) => l.op === "CMD").at(-1);
    expect(JSON.parse(cmd?.args ?? "null")).toEqual(["node", "dist/main.js"]);
    expect(runtime.lines.some((l) => l.op === "WORKDIR" && l.args === "/app")).toBe(true);
    expect(runtime.lines.some((l) => l.op === "COPY" && l.args === `--from=build /repo/apps/${app}/dist ./dist`)).toBe(true);
    expect(ins.some((l) => l.op === "ENTRYPOINT")).toBe(false);
    // The bundler writes dist/main.js and the migrations next to it.
    expect(bundler).toContain('outfile: "dist/main.js"');
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

