-- Secret header values (encrypted) and the Standard Webhooks signing secret of each job.
-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "secret_headers" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "signing_secret" TEXT,
ADD COLUMN     "signing_secret_previous" TEXT,
ADD COLUMN     "signing_secret_previous_expires_at" TIMESTAMPTZ(6);
