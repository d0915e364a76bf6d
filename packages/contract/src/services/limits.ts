// Per-tenant quotas and the API side of the outbound-call policy, checked by jobs.create and jobs.update after
// the input schema: literal private/loopback IP (and `localhost`) URLs, the minimum interval between two fires,
// and the number of jobs a tenant may have; apiKeys.create checks the number of active API keys.
import { TRPCError } from "@trpc/server";

import type { Prisma } from "@btick/db";
import { createNetworkPolicy, literalHostProblem } from "@btick/net-policy";
import { isValidTimeZone, nextRuns } from "@btick/scheduling";

import { validationError, type FieldIssue } from "../errors.ts";

export interface JobLimits {
  /** Accept job URLs whose host is a literal loopback/private/reserved IP or `localhost`. */
  allowPrivateNetworks: boolean;
  /** Hosts, IPs and CIDR ranges accepted even when private (mirrors the worker's allow-list). */
  allowedHosts: readonly string[];
  /** Jobs one tenant may have. */
  maxJobsPerTenant: number;
  /**
   * Active (neither revoked nor expired) API keys one tenant may have. Each key has its own rate-limit budget, so
   * this also bounds a tenant's total request rate.
   */
  maxApiKeysPerTenant: number;
  /** Minimum seconds between two consecutive fires of a job's schedule. */
  minIntervalSeconds: number;
}

export const DEFAULT_JOB_LIMITS: JobLimits = {
  allowPrivateNetworks: false,
  allowedHosts: [],
  maxJobsPerTenant: 1000,
  maxApiKeysPerTenant: 100,
  minIntervalSeconds: 1,
};

/** Consecutive fires compared when checking the minimum interval. */
const INTERVAL_SAMPLE = 30;

export function urlPolicyIssue(url: string, limits: JobLimits): FieldIssue | null {
  if (limits.allowPrivateNetworks) return null;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null; // the schema reports malformed URLs
  }
  const problem = literalHostProblem(host);
  if (problem === null) return null;
  if (createNetworkPolicy({ allowPrivateNetworks: false, allowedHosts: limits.allowedHosts }).hostAllowed(host)) return null;
  return { field: "url", message: `must not target a ${problem} address; calls to private networks are disabled on this server` };
}

/** The smallest gap (seconds) between consecutive fires among the next few, or null when it cannot be computed. */
export function smallestFireGapSeconds(cron: string, timezone: string, now = new Date()): number | null {
  try {
    const fires = nextRuns(cron, isValidTimeZone(timezone) ? timezone : "UTC", now, INTERVAL_SAMPLE);
    let min: number | null = null;
    for (let i = 1; i < fires.length; i++) {
      const gap = ((fires[i] as Date).getTime() - (fires[i - 1] as Date).getTime()) / 1000;
      if (min === null || gap < min) min = gap;
    }
    return min;
  } catch {
    return null; // the schema reports invalid expressions
  }
}

export function intervalIssue(cron: string, timezone: string, limits: JobLimits): FieldIssue | null {
  if (limits.minIntervalSeconds <= 0) return null;
  const gap = smallestFireGapSeconds(cron, timezone);
  if (gap === null || gap >= limits.minIntervalSeconds) return null;
  return {
    field: "cron_expression",
    message: `fires every ${gap} second${gap === 1 ? "" : "s"}; the minimum interval between fires is ${limits.minIntervalSeconds} second${limits.minIntervalSeconds === 1 ? "" : "s"}`,
  };
}

/** Validation for a new job or a patch: URL policy and minimum interval (only for the fields present). */
export function checkJobPolicy(
  input: { url?: string | undefined; cron_expression?: string | undefined; timezone?: string | undefined },
  limits: JobLimits,
): void {
  const issues: FieldIssue[] = [];
  if (input.url !== undefined) {
    const issue = urlPolicyIssue(input.url, limits);
    if (issue) issues.push(issue);
  }
  if (input.cron_expression !== undefined) {
    const issue = intervalIssue(input.cron_expression, input.timezone ?? "UTC", limits);
    if (issue) issues.push(issue);
  }
  if (issues.length > 0) throw validationError(issues);
}

/** Namespace (first key) of the per-tenant advisory lock that serializes job creation; the second key is the tenant. */
const JOB_QUOTA_LOCK_NAMESPACE = 7314;

/**
 * 429 when the tenant already has its maximum number of jobs. Call it inside the transaction that inserts the job:
 * it first takes a per-tenant lock held until that transaction ends, so concurrent creates of one tenant (parallel
 * requests, a tRPC batch, several API processes) count and insert one after the other and cannot overshoot.
 */
export async function checkJobQuota(tx: Prisma.TransactionClient, tenantId: string, limits: JobLimits): Promise<void> {
  await tx.$executeRaw`select pg_advisory_xact_lock(${JOB_QUOTA_LOCK_NAMESPACE}::int, hashtext(${tenantId}::text))`;
  const count = await tx.job.count({ where: { tenantId } });
  if (count >= limits.maxJobsPerTenant) {
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: `job quota reached: a tenant can have at most ${limits.maxJobsPerTenant} jobs; delete jobs before creating more`,
    });
  }
}

/** Namespace of the per-tenant advisory lock that serializes API-key creation (second key: the tenant). */
const API_KEY_QUOTA_LOCK_NAMESPACE = 7315;

/**
 * 429 when the tenant already has its maximum number of active API keys (neither revoked nor expired, by the
 * database clock). Like checkJobQuota: call it inside the transaction that inserts the key; it takes a per-tenant
 * lock held until that transaction ends, so concurrent creates count and insert one after the other.
 */
export async function checkApiKeyQuota(tx: Prisma.TransactionClient, tenantId: string, limits: JobLimits): Promise<void> {
  await tx.$executeRaw`select pg_advisory_xact_lock(${API_KEY_QUOTA_LOCK_NAMESPACE}::int, hashtext(${tenantId}::text))`;
  const rows = await tx.$queryRaw<{ active: number }[]>`
select count(*)::int as active
from api_keys as keys
where keys.tenant_id = ${tenantId}::uuid and keys.revoked_at is null and (keys.expires_at is null or keys.expires_at > now())`;
  if ((rows[0]?.active ?? 0) >= limits.maxApiKeysPerTenant) {
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: `API key quota reached: a tenant can have at most ${limits.maxApiKeysPerTenant} active API keys; revoke keys before creating more`,
    });
  }
}
