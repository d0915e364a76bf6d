// The worker's small HTTP server: GET /metrics (Prometheus text format), /healthz (the process is up) and /readyz
// (the database answers and the claim loop ticked within 3 poll intervals).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import type { Db } from "@btick/db";

import type { WorkerMetrics } from "./metrics.ts";

export interface Readiness {
  ready: boolean;
  reason: string | null;
}

export interface MetricsServerArgs {
  metrics: WorkerMetrics;
  db: Db;
  /** Time (ms since epoch) of the claim loop's last completed pass, or null before the first one. */
  lastTickAt: () => number | null;
  pollIntervalMs: number;
  now?: () => number;
}

const PING_TIMEOUT_MS = 2000;

async function pingDatabase(db: Db): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      db.$queryRaw`select 1`.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS))),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export async function readiness(args: MetricsServerArgs): Promise<Readiness> {
  const now = (args.now ?? Date.now)();
  const tick = args.lastTickAt();
  const maxAge = 3 * args.pollIntervalMs;
  if (tick === null) return { ready: false, reason: "the claim loop has not run yet" };
  if (now - tick > maxAge) return { ready: false, reason: `the claim loop has not ticked for ${now - tick} ms (limit ${maxAge} ms)` };
  if (!(await pingDatabase(args.db))) return { ready: false, reason: "database unreachable" };
  return { ready: true, reason: null };
}

export interface MetricsServer {
  server: Server;
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(args: MetricsServerArgs & { host: string; port: number }): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const text = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return text(405, "method not allowed\n");
    if (path === "/healthz") return text(200, "ok");
    if (path === "/readyz") {
      void readiness(args).then(
        (r) => text(r.ready ? 200 : 503, r.ready ? "ready" : `not ready: ${r.reason}`),
        () => text(503, "not ready"),
      );
      return;
    }
    if (path === "/metrics") {
      void args.metrics.registry.metrics().then(
        (body) => text(200, body, args.metrics.registry.contentType),
        () => text(500, "metrics collection failed\n"),
      );
      return;
    }
    text(404, "not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(args.port, args.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
