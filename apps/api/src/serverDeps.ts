// The server's dependencies from a validated environment: what `pnpm start` and the Docker image run with. Tests
// that must see the default configuration build the server from `loadApiEnv({ DATABASE_URL })` through this too.
import type { ApiEnv } from "@btick/config";
import { createSecretsOptions } from "@btick/contract";
import type { Db } from "@btick/db";
import { keyringFromConfig, parseSecretHeaderPatterns } from "@btick/secrets";

import type { ServerDeps } from "./server.ts";

/** Everything but the logger; `developmentKey` tells the caller to warn that the public key is in use. */
export function serverDepsFromEnv(env: ApiEnv, db: Db): { deps: ServerDeps; developmentKey: boolean } {
  const { keyring, development } = keyringFromConfig({ key: env.SECRETS_ENCRYPTION_KEY, oldKeys: env.SECRETS_ENCRYPTION_KEYS });
  const secrets = createSecretsOptions({
    keyring,
    patterns: parseSecretHeaderPatterns(env.SECRET_HEADER_PATTERNS),
    previousSigningSecretTtlSeconds: env.SIGNING_SECRET_PREVIOUS_TTL_HOURS * 3600,
  });
  return {
    developmentKey: development,
    deps: {
      db,
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
    },
  };
}
