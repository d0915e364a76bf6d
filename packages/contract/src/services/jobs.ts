// Job operations. Every query filters by tenant in its WHERE clause; another tenant's id is "not found".
import { isDeepStrictEqual } from "node:util";

import { TRPCError } from "@trpc/server";

import { Prisma, type Db, type JobModel as Job } from "@btick/db";
import { nextRunAfter } from "@btick/scheduling";
import { generateWebhookSecret } from "@btick/webhooks";

import { principalRef, type Principal } from "../context.ts";
import { validationError } from "../errors.ts";
import {
  crossFieldIssues,
  type JobCreateInput,
  type JobListInput,
  type JobOutput,
  type JobPatch,
  type JobRotateSigningSecretInput,
} from "../schemas/jobs.ts";
import { dbNow, isRecordNotFound, notFound, wakeWorkers } from "./db.ts";
import { checkJobQuota, DEFAULT_JOB_LIMITS, type JobLimits } from "./limits.ts";
import { inIdOrder, likePattern, pageOfIds } from "./pagination.ts";
import { developmentSecretsOptions, sealHeaders, secretContext, type SecretsOptions } from "./secrets.ts";
import { toJob as serializeJob } from "./serialize.ts";

const defaultSecrets = () => developmentSecretsOptions();

/** Prisma needs DbNull (SQL NULL) rather than a JS null for an optional Json column. */
const jsonOrDbNull = (v: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull =>
  v === null || v === undefined ? Prisma.DbNull : (v as Prisma.InputJsonValue);

/** Creating a job waits for the tenant's other creates (the quota lock); bound that wait. */
const CREATE_TRANSACTION = { maxWait: 5_000, timeout: 10_000 };

/**
 * Creates a job with a new signing secret, returned here in plain text once (it is stored encrypted).
 * Secret header values are encrypted; the job's `headers` keep the mask in their place. The tenant's job quota is
 * checked in the same transaction as the insert (see checkJobQuota).
 */
export async function createJob(
  db: Db,
  principal: Principal,
  input: JobCreateInput,
  secrets: SecretsOptions = defaultSecrets(),
  limits: JobLimits = DEFAULT_JOB_LIMITS,
): Promise<{ job: JobOutput; signing_secret: string }> {
  const sealed = sealHeaders(input.headers, { tenantId: principal.tenantId, secrets });
  if (sealed.issues.length > 0) throw validationError(sealed.issues);
  const signingSecret = generateWebhookSecret();
  const job = await db.$transaction(async (tx) => {
    await checkJobQuota(tx, principal.tenantId, limits);
    const now = await dbNow(tx);
    return tx.job.create({
      data: {
        tenantId: principal.tenantId,
        name: input.name,
        method: input.method,
        url: input.url,
        headers: sealed.headers,
        secretHeaders: sealed.secretHeaders,
        signingSecret: secrets.keyring.seal(signingSecret, secretContext(principal.tenantId)),
        body: jsonOrDbNull(input.body),
        cronExpression: input.cron_expression,
        timezone: input.timezone,
        retryMax: input.retry_max,
        timeoutSeconds: input.timeout_seconds,
        enabled: input.enabled,
        concurrencyPolicy: input.concurrency_policy,
        misfirePolicy: input.misfire_policy,
        misfireCatchUpMax: input.misfire_catch_up_max,
        maxRuns: input.max_runs,
        nextRunAt: input.enabled ? nextRunAfter(input.cron_expression, input.timezone, now) : null,
        createdBy: principalRef(principal),
      },
    });
  }, CREATE_TRANSACTION);
  if (job.enabled) await wakeWorkers(db);
  return { job: toJob(job, secrets), signing_secret: signingSecret };
}

async function findJob(db: Db, tenantId: string, jobId: string): Promise<Job> {
  const job = await db.job.findFirst({ where: { id: jobId, tenantId } });
  if (!job) throw notFound("job");
  return job;
}

/** A job state change waits for the row lock held by another change (or a worker's claim); bound that wait. */
const STATE_CHANGE_TRANSACTION = { maxWait: 5_000, timeout: 10_000 };

/**
 * Locks the job's row for the rest of the transaction (`select … for update`), then reads it. Every change whose new
 * values depend on the stored ones (PATCH, resume) reads the job this way: a concurrent change of the same job
 * (another request, a worker's claim, which locks the row too) either commits before the read or waits for this
 * transaction, so `enabled` and `next_run_at` are always written from the job's current cron expression, timezone and
 * enabled flag, never from a stale copy.
 */
async function lockJob(tx: Prisma.TransactionClient, tenantId: string, jobId: string): Promise<Job> {
  const locked = await tx.$queryRaw<{ id: string }[]>`
select jobs.id from jobs as jobs where jobs.id = ${jobId}::uuid and jobs.tenant_id = ${tenantId}::uuid for update`;
  if (locked.length === 0) throw notFound("job");
  // Read after the lock is granted: this statement sees the latest committed version of the row.
  const job = await tx.job.findUnique({ where: { id: jobId } });
  if (!job) throw notFound("job");
  return job;
}

export async function getJob(db: Db, tenantId: string, jobId: string, secrets: SecretsOptions = defaultSecrets()): Promise<JobOutput> {
  return present(db, await findJob(db, tenantId, jobId), secrets);
}

export async function listJobs(
  db: Db,
  tenantId: string,
  input: JobListInput,
  secrets: SecretsOptions = defaultSecrets(),
): Promise<{ jobs: JobOutput[]; next_cursor: string | null }> {
  const conditions = [Prisma.sql`tenant_id = ${tenantId}::uuid`];
  if (input.enabled !== undefined) conditions.push(Prisma.sql`enabled = ${input.enabled}`);
  if (input.q) conditions.push(Prisma.sql`name ilike ${likePattern(input.q)}`);
  const page = await pageOfIds(db, { table: "jobs", orderColumn: "created_at", conditions, cursor: input.cursor, limit: input.limit });
  const rows = page.ids.length > 0 ? await db.job.findMany({ where: { id: { in: page.ids }, tenantId } }) : [];
  const now = await displayNow(db, rows);
  return { jobs: inIdOrder(page.ids, rows).map((j) => toJob(j, secrets, now)), next_cursor: page.nextCursor };
}

/**
 * JSON merge patch of the job's top-level fields: absent fields are unchanged, `null` clears a nullable field
 * (`body`, `max_runs`). `headers` and `body` are values and replaced whole (a body is an opaque payload; headers have
 * the mask semantics of secret values). The merged job is re-checked with the cross-field rules. Only fields whose
 * value changes are written; a patch that changes nothing leaves the row (and `updated_at`) untouched. `next_run_at`
 * is recomputed only when the cron expression, timezone or enabled flag actually change, so a rename never moves
 * the schedule.
 */
export async function updateJob(
  db: Db,
  tenantId: string,
  jobId: string,
  patch: JobPatch,
  secrets: SecretsOptions = defaultSecrets(),
): Promise<JobOutput> {
  // Read, merge and write under the job's row lock, so the merge is made against what is actually stored.
  const { job, wake } = await db.$transaction(async (tx) => {
    const current = await lockJob(tx, tenantId, jobId);
    // Headers are replaced as a whole; a secret header sent back as the mask keeps its stored value.
    const sealed = patch.headers === undefined ? null : sealHeaders(patch.headers, { tenantId, secrets, stored: current });
    const merged = {
      method: patch.method ?? current.method,
      body: patch.body === undefined ? current.body : patch.body,
      cron_expression: patch.cron_expression ?? current.cronExpression,
      timezone: patch.timezone ?? current.timezone,
      enabled: patch.enabled ?? current.enabled,
    };
    const issues = [...crossFieldIssues(merged), ...(sealed?.issues ?? [])];
    if (issues.length > 0) throw validationError(issues);

    const scheduleChanged =
      merged.cron_expression !== current.cronExpression || merged.timezone !== current.timezone || merged.enabled !== current.enabled;
    /** The new value when the patch gives one that differs from the stored value, else undefined (not written). */
    const changed = <T>(next: T | undefined, stored: unknown): T | undefined =>
      next === undefined || isDeepStrictEqual(next, stored) ? undefined : next;
    const headersChanged =
      sealed !== null && !(isDeepStrictEqual(sealed.headers, current.headers) && isDeepStrictEqual(sealed.secretHeaders, current.secretHeaders));
    // A body is compared as text: it is stored and sent as written, so reordering its keys is a change.
    const body = patch.body === undefined || JSON.stringify(patch.body) === JSON.stringify(current.body) ? undefined : patch.body;
    const data: Prisma.JobUpdateInput = {
      name: changed(patch.name, current.name),
      method: changed(patch.method, current.method),
      url: changed(patch.url, current.url),
      headers: headersChanged ? sealed.headers : undefined,
      secretHeaders: headersChanged ? sealed.secretHeaders : undefined,
      body: body === undefined ? undefined : jsonOrDbNull(body),
      cronExpression: changed(patch.cron_expression, current.cronExpression),
      timezone: changed(patch.timezone, current.timezone),
      retryMax: changed(patch.retry_max, current.retryMax),
      timeoutSeconds: changed(patch.timeout_seconds, current.timeoutSeconds),
      enabled: changed(patch.enabled, current.enabled),
      concurrencyPolicy: changed(patch.concurrency_policy, current.concurrencyPolicy),
      misfirePolicy: changed(patch.misfire_policy, current.misfirePolicy),
      misfireCatchUpMax: changed(patch.misfire_catch_up_max, current.misfireCatchUpMax),
      // null clears the per-job cap (merge patch).
      maxRuns: changed(patch.max_runs, current.maxRuns),
    };
    if (scheduleChanged) {
      data.nextRunAt = merged.enabled ? nextRunAfter(merged.cron_expression, merged.timezone, await dbNow(tx)) : null;
    }
    if (Object.values(data).every((v) => v === undefined)) return { job: current, wake: false };
    const updated = await tx.job.update({ where: { id: jobId }, data });
    return { job: updated, wake: scheduleChanged && updated.enabled };
  }, STATE_CHANGE_TRANSACTION);
  if (wake) await wakeWorkers(db);
  return present(db, job, secrets);
}

export async function deleteJob(db: Db, tenantId: string, jobId: string): Promise<void> {
  const { count } = await db.job.deleteMany({ where: { id: jobId, tenantId } });
  if (count === 0) throw notFound("job");
}

/**
 * Pausing clears next_run_at, so a paused job never shows a stale next run. Idempotent. One UPDATE that depends on
 * nothing it read, so it needs no lock of its own: it waits for a concurrent change of the row and then applies.
 */
export async function pauseJob(db: Db, tenantId: string, jobId: string, secrets: SecretsOptions = defaultSecrets()): Promise<JobOutput> {
  try {
    return await present(db, await db.job.update({ where: { id: jobId, tenantId }, data: { enabled: false, nextRunAt: null } }), secrets);
  } catch (err) {
    if (isRecordNotFound(err)) throw notFound("job");
    throw err;
  }
}

/**
 * Resuming always recomputes next_run_at from now: missed slots are skipped. The schedule is read under the row
 * lock, so a concurrent cron or timezone change is either seen or applied after this one.
 */
export async function resumeJob(db: Db, tenantId: string, jobId: string, secrets: SecretsOptions = defaultSecrets()): Promise<JobOutput> {
  const job = await db.$transaction(async (tx) => {
    const current = await lockJob(tx, tenantId, jobId);
    const nextRunAt = nextRunAfter(current.cronExpression, current.timezone, await dbNow(tx));
    return tx.job.update({ where: { id: jobId }, data: { enabled: true, nextRunAt } });
  }, STATE_CHANGE_TRANSACTION);
  await wakeWorkers(db);
  return present(db, job, secrets);
}

/** Queues a manual run (also for paused jobs); a worker turns the trigger into a run. */
export async function triggerJob(db: Db, principal: Principal, jobId: string): Promise<{ trigger_id: string }> {
  await findJob(db, principal.tenantId, jobId);
  let triggerId: string;
  try {
    const trigger = await db.manualTrigger.create({ data: { jobId, triggeredBy: principalRef(principal) } });
    triggerId = trigger.id;
  } catch (err) {
    // The job was deleted between the check and the insert (foreign-key violation).
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2003") throw notFound("job");
    throw err;
  }
  await wakeWorkers(db);
  return { trigger_id: triggerId };
}

/**
 * Replaces the signing secret. The old one stays in use (requests carry both signatures) until
 * `previous_secret_expires_in_seconds` (default: the configured window) has passed; 0 drops it at once.
 * A job created before signing existed gets its first secret this way. The window is computed by the database
 * (`now() + ttl` in the UPDATE), the clock the worker compares it with.
 */
export async function rotateSigningSecret(
  db: Db,
  tenantId: string,
  input: JobRotateSigningSecretInput,
  secrets: SecretsOptions = defaultSecrets(),
): Promise<{ job: JobOutput; signing_secret: string }> {
  const current = await findJob(db, tenantId, input.jobId);
  const ttlSeconds = input.previous_secret_expires_in_seconds ?? secrets.previousSigningSecretTtlSeconds;
  const keepPrevious = current.signingSecret !== null && ttlSeconds > 0;
  const signingSecret = generateWebhookSecret();
  // Fenced on the secret read above, so two concurrent rotations cannot both keep the same "previous".
  const rows = await db.$queryRaw<{ db_now: Date }[]>`
update jobs as jobs
set signing_secret = ${secrets.keyring.seal(signingSecret, secretContext(tenantId))}::text,
  signing_secret_previous = case when ${keepPrevious}::boolean then jobs.signing_secret end,
  signing_secret_previous_expires_at = case when ${keepPrevious}::boolean then now() + ${ttlSeconds}::int * interval '1 second' end,
  updated_at = now()
where jobs.id = ${input.jobId}::uuid and jobs.tenant_id = ${tenantId}::uuid
  and jobs.signing_secret is not distinct from ${current.signingSecret}::text
returning now() as db_now`;
  const now = rows[0]?.db_now;
  if (!now) throw new TRPCError({ code: "CONFLICT", message: "the signing secret was rotated concurrently; retry" });
  return { job: toJob(await findJob(db, tenantId, input.jobId), secrets, now), signing_secret: signingSecret };
}

/**
 * The time a job is shown at. A rotated signing secret's window (`signing_secret_previous_expires_at`, shown only
 * while it is open) is on the database clock, so it is compared with the database's; read only when some job has one.
 */
async function displayNow(db: Db, jobs: readonly Job[]): Promise<Date> {
  const rotating = jobs.some((j) => j.signingSecretPrevious !== null && j.signingSecretPreviousExpiresAt !== null);
  return rotating ? await dbNow(db) : new Date();
}

/** A job as answered: serialized against displayNow. */
async function present(db: Db, job: Job, secrets: SecretsOptions): Promise<JobOutput> {
  return toJob(job, secrets, await displayNow(db, [job]));
}

function toJob(job: Job, secrets: SecretsOptions, now?: Date): JobOutput {
  return serializeJob(job, now, secrets.isSecretHeader);
}
