-- A value the web UI shows once on the session's next page (a new API key, a job's signing secret), encrypted
-- (AES-256-GCM envelope bound to the session); cleared when shown.
ALTER TABLE "sessions" ADD COLUMN "reveal" TEXT;
