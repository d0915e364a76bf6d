// Run queries (runs are written by the worker; the API only reads them).
import { Prisma, type Db } from "@btick/db";
import type { SecretHeaderMatcher } from "@btick/secrets";

import type { RunDetailOutput, RunListInput, RunOutput } from "../schemas/runs.ts";
import { notFound } from "./db.ts";
import { inIdOrder, pageOfIds } from "./pagination.ts";
import { toRun, toRunDetail } from "./serialize.ts";

export async function listRuns(db: Db, tenantId: string, input: RunListInput, isSecret?: SecretHeaderMatcher): Promise<{ runs: RunOutput[]; next_cursor: string | null }> {
  const job = await db.job.findFirst({ where: { id: input.jobId, tenantId }, select: { id: true } });
  if (!job) throw notFound("job");
  const conditions = [Prisma.sql`job_id = ${input.jobId}::uuid`, Prisma.sql`tenant_id = ${tenantId}::uuid`];
  if (input.status) conditions.push(Prisma.sql`status = ${input.status}`);
  if (input.trigger_type) conditions.push(Prisma.sql`trigger_type = ${input.trigger_type}`);
  const page = await pageOfIds(db, { table: "job_runs", orderColumn: "started_at", conditions, cursor: input.cursor, limit: input.limit });
  const rows = page.ids.length > 0 ? await db.jobRun.findMany({ where: { id: { in: page.ids }, tenantId } }) : [];
  return { runs: inIdOrder(page.ids, rows).map((r) => toRun(r, isSecret)), next_cursor: page.nextCursor };
}

export async function getRun(db: Db, tenantId: string, runId: string, isSecret?: SecretHeaderMatcher): Promise<RunDetailOutput> {
  const run = await db.jobRun.findFirst({
    where: { id: runId, tenantId },
    include: { attempts: { orderBy: { attemptNumber: "asc" } } },
  });
  if (!run) throw notFound("run");
  return toRunDetail(run, isSecret);
}
