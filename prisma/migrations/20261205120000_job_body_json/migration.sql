-- A job's request body, and the copy of it each run records, are kept as `json` (the text as written) instead of
-- `jsonb`, which reorders object keys (shortest first) and drops duplicates: a body typed {"hello":1,"n":2} is now
-- stored, shown, edited and sent in that order. Existing bodies keep the order jsonb gave them.
-- Changing the type rewrites both tables under an exclusive lock; on a large job_runs this takes a while (workers and
-- the API wait for it at start-up).
-- AlterTable
ALTER TABLE "jobs" ALTER COLUMN "body" SET DATA TYPE JSON USING "body"::json;
-- AlterTable
ALTER TABLE "job_runs" ALTER COLUMN "request_body" SET DATA TYPE JSON USING "request_body"::json;
