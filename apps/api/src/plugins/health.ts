// Liveness and readiness probes (plain text, no auth).
import type { FastifyInstance } from "fastify";

import type { Db } from "@btick/db";

const READY_TIMEOUT_MS = 2000;

async function pingDatabase(db: Db): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([db.$queryRaw`select 1`.then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export async function healthPlugin(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  app.get("/healthz", async (_req, reply) => reply.type("text/plain; charset=utf-8").send("ok"));
  app.get("/readyz", async (request, reply) => {
    const ok = await pingDatabase(opts.db);
    if (!ok) request.log.warn("readiness check failed: database unreachable");
    return reply
      .status(ok ? 200 : 503)
      .type("text/plain; charset=utf-8")
      .send(ok ? "ready" : "not ready");
  });
}
