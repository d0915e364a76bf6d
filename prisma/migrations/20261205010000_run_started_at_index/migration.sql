-- Retention by age walks job_runs in started_at order, a batch at a time, through this index (instead of probing
-- every job). Building it takes a lock that blocks writes to job_runs while it runs: on a large table, create it
-- beforehand with `CREATE INDEX CONCURRENTLY "job_runs_started_at_idx" ON "job_runs"("started_at");` and this
-- migration then has nothing left to do.
-- CreateIndex
CREATE INDEX IF NOT EXISTS "job_runs_started_at_idx" ON "job_runs"("started_at");
