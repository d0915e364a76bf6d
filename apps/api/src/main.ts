// scheduler-api entrypoint: validate env, migrate, connect, listen; close gracefully on SIGTERM/SIGINT.
import { ConfigError, loadApiEnv } from "@btick/config";
import { createSecretsOptions } from "@btick/contract";
import { createPrismaClient, migrate } from "@btick/db";
import { logDestination } from "@btick/logging";
import { DEVELOPMENT_KEY_WARNING, keyringFromConfig, parseSecretHeaderPatterns } from "@btick/secrets";

import { buildServer } from "./server.ts";
import { buildDevCss } from "./ui/assets.ts";

async function main(): Promise<void> {
  const env = loadApiEnv();
  if (import.meta.url.endsWith(".ts")) {
    // Running from sources (pnpm start): build the UI stylesheet, which production images get from `pnpm build`.
    const problem = buildDevCss();
    if (problem) console.warn(`scheduler-api: could not build the UI stylesheet, pages will be unstyled: ${problem}`);
  }
  await migrate(env.DATABASE_URL);
  const db = createPrismaClient({
    connectionString: env.DATABASE_URL,
    applicationName: "scheduler-api",
    queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS,
  });
  const { keyring, development } = keyringFromConfig({ key: env.SECRETS_ENCRYPTION_KEY, oldKeys: env.SECRETS_ENCRYPTION_KEYS });
  const secrets = createSecretsOptions({
    keyring,
    patterns: parseSecretHeaderPatterns(env.SECRET_HEADER_PATTERNS),
    previousSigningSecretTtlSeconds: env.SIGNING_SECRET_PREVIOUS_TTL_HOURS * 3600,
  });
  const app = await buildServer({
    db,
    logger: { level: env.LOG_LEVEL, stream: logDestination() },
    secrets,
    limits: {
      allowPrivateNetworks: env.API_ALLOW_PRIVATE_NETWORKS,
      allowedHosts: env.API_ALLOWED_HOSTS,
      maxJobsPerTenant: env.TENANT_MAX_JOBS,
      maxApiKeysPerTenant: env.TENANT_MAX_API_KEYS,
      minIntervalSeconds: env.TENANT_MIN_INTERVAL_SECONDS,
    },
    security: { rateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE, authFailuresPerMinute: env.API_AUTH_FAILURES_PER_MINUTE },
    metrics: env.API_METRICS_ENABLED,
    trustProxy: env.TRUST_PROXY,
    ui: { sessionSecret: env.UI_SESSION_SECRET, sessionTtlHours: env.UI_SESSION_TTL_HOURS },
  });
  if (development) app.log.warn(DEVELOPMENT_KEY_WARNING);
  app.addHook("onClose", async () => {
    await db.$disconnect();
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, "shutting down");
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  await app.listen({ host: env.HOST, port: env.PORT });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : env.PORT;
  const shownHost = env.HOST === "0.0.0.0" || env.HOST === "::" ? "localhost" : env.HOST;
  console.log(`scheduler-api listening on http://${shownHost}:${port}`);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error("scheduler-api failed to start:", err);
  }
  process.exit(1);
});
