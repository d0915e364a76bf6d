// scheduler-worker entry point: validate env, migrate, connect, run the loop; SIGTERM/SIGINT once = graceful
// (stop claiming, wait up to WORKER_SHUTDOWN_GRACE_SECONDS, then abort), twice = exit now.

import { ConfigError, loadWorkerEnv, type WorkerEnv } from "@btick/config";
import { DEVELOPMENT_KEY_WARNING } from "@btick/secrets";
import { createPrismaClient, migrate } from "@btick/db";
import { createLogger } from "@btick/logging";

import { createWorkerMetrics } from "./metrics.ts";
import { startMetricsServer, type MetricsServer } from "./metricsServer.ts";
import { optionsFromEnv } from "./options.ts";
import { createWorker } from "./worker.ts";

function readEnv(): WorkerEnv {
  try {
    return loadWorkerEnv();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`scheduler-worker: ${err.message.split("\n").join("; ")}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const env = readEnv();
  const options = optionsFromEnv(env);
  const logger = createLogger({ level: env.LOG_LEVEL, base: { service: "scheduler-worker", pid: process.pid } });
  if (!env.SECRETS_ENCRYPTION_KEY) logger.warn(DEVELOPMENT_KEY_WARNING);

  await migrate(env.DATABASE_URL, { log: (msg) => logger.info(msg) });
  const db = createPrismaClient({
    connectionString: env.DATABASE_URL,
    // Claims, heartbeats and one final write per in-flight run share this pool.
    max: Math.min(50, Math.max(4, Math.ceil(options.concurrency / 4) + 3)),
    applicationName: `btick-worker:${options.workerId}`,
    queryTimeoutMs: env.WORKER_DATABASE_QUERY_TIMEOUT_MS,
  });
  const metrics = createWorkerMetrics();
  const worker = createWorker({ db, options, logger, listenUrl: env.DATABASE_URL, metrics });
  if (!options.allowPrivateNetworks) {
    logger.info({ allowed_hosts: options.allowedHosts }, "outbound calls to loopback, private and reserved addresses are refused");
  }
  let metricsServer: MetricsServer | null = null;
  if (env.WORKER_METRICS_PORT !== 0) {
    metricsServer = await startMetricsServer({
      metrics,
      db,
      lastTickAt: () => worker.lastTickAt,
      pollIntervalMs: options.pollIntervalMs,
      host: env.WORKER_METRICS_HOST,
      port: env.WORKER_METRICS_PORT,
    });
    logger.info({ port: metricsServer.port }, `metrics, /healthz and /readyz on port ${metricsServer.port}`);
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, "second signal; exiting now");
      process.exit(130);
    }
    logger.info({ signal, grace_ms: options.shutdownGraceMs }, "shutting down: no new claims, waiting for in-flight runs");
    void worker
      .stop()
      .then(() => metricsServer?.close())
      .then(() => db.$disconnect())
      .then(() => {
        logger.info(`scheduler-worker ${options.workerId} stopped`);
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  await worker.start();
  logger.info(
    { worker_id: options.workerId, concurrency: options.concurrency, poll_interval_ms: options.pollIntervalMs },
    `scheduler-worker ${options.workerId} started`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`scheduler-worker: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
