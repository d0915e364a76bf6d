-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "concurrency_policy" TEXT NOT NULL DEFAULT 'forbid',
ADD COLUMN     "misfire_policy" TEXT NOT NULL DEFAULT 'fire_once',
ADD COLUMN     "misfire_catch_up_max" INTEGER NOT NULL DEFAULT 10,
ADD COLUMN     "max_runs" INTEGER;

-- Value checks (not modelled by Prisma; the API validates the same ranges first).
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_concurrency_policy_check" CHECK ("concurrency_policy" IN ('forbid', 'allow', 'replace'));
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_misfire_policy_check" CHECK ("misfire_policy" IN ('fire_once', 'skip', 'catch_up'));
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_misfire_catch_up_max_check" CHECK ("misfire_catch_up_max" BETWEEN 1 AND 100);
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_max_runs_check" CHECK ("max_runs" IS NULL OR "max_runs" BETWEEN 1 AND 100000);
ALTER TABLE "job_runs" ADD CONSTRAINT "job_runs_status_check" CHECK ("status" IN ('running', 'success', 'failed', 'lost', 'skipped', 'cancelled'));
