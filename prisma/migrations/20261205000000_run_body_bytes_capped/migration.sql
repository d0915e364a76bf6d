-- A response body read up to the worker's 10 MiB cap without a Content-Length has an unknown full size: its
-- response_body_bytes is a lower bound, and this flag says so.
-- AlterTable
ALTER TABLE "job_runs" ADD COLUMN "response_body_bytes_capped" BOOLEAN NOT NULL DEFAULT false;
