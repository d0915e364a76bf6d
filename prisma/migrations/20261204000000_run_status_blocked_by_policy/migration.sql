-- Runs refused by the outbound network policy are recorded as `blocked_by_policy`.
ALTER TABLE "job_runs" DROP CONSTRAINT "job_runs_status_check";
ALTER TABLE "job_runs" ADD CONSTRAINT "job_runs_status_check" CHECK ("status" IN ('running', 'success', 'failed', 'lost', 'skipped', 'cancelled', 'blocked_by_policy'));
