import type { SealedRunSecrets } from "../types.ts";

/** The encrypted columns every claim reads from the job row, as the run's sealed secrets. */
export function sealedSecrets(row: {
  secret_headers: Record<string, string> | null;
  signing_secret: string | null;
  signing_secret_previous: string | null;
  signing_secret_previous_expires_at: Date | null;
}): SealedRunSecrets {
  return {
    secretHeaders: row.secret_headers ?? {},
    signingSecret: row.signing_secret,
    previousSigningSecret: row.signing_secret_previous,
    previousExpiresAt: row.signing_secret_previous_expires_at,
  };
}
