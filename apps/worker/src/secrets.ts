// Secret header values and signing secrets arrive from the claim encrypted; they are opened (decrypted) only here,
// right before a run is sent, and never written back anywhere. The run row keeps the masked headers.
import type { Keyring } from "@btick/secrets";
import { signWebhook } from "@btick/webhooks";

import type { ClaimedRun, SealedRunSecrets } from "./types.ts";

/** Associated data of a tenant's ciphertexts (must match the API's `secretContext`). */
const secretContext = (tenantId: string) => `tenant:${tenantId}`;

export type OpenedRun = { ok: true; run: ClaimedRun } | { ok: false; error: string };

/**
 * Returns the run with its secret header values in place of the mask and its signing secrets (current first, then
 * the previous one while its rotation window lasts, judged on the database clock `now`). A value that cannot be decrypted (missing old key, tampering)
 * fails the run without sending anything.
 */
export function openRun(run: ClaimedRun, keyring: Keyring, now: Date): OpenedRun {
  const sealed: SealedRunSecrets | undefined = run.sealed;
  if (!sealed) return { ok: true, run };
  const aad = secretContext(run.tenantId);
  const headers = { ...run.headers };
  const signingSecrets: string[] = [];
  let what = "";
  try {
    for (const [name, envelope] of Object.entries(sealed.secretHeaders)) {
      what = `header ${name}`;
      headers[name] = keyring.open(envelope, aad);
    }
    what = "signing secret";
    if (sealed.signingSecret) signingSecrets.push(keyring.open(sealed.signingSecret, aad));
    if (sealed.previousSigningSecret && sealed.previousExpiresAt && sealed.previousExpiresAt > now) {
      signingSecrets.push(keyring.open(sealed.previousSigningSecret, aad));
    }
  } catch (err) {
    return { ok: false, error: `could not decrypt the ${what}: ${err instanceof Error ? err.message : String(err)}` };
  }
  return { ok: true, run: { ...run, headers, signingSecrets } };
}

/**
 * Standard Webhooks headers for one attempt: webhook-id is the run id (identical across retries), the timestamp is
 * the attempt's, and there is one `v1,` signature per active secret. None when the job has no signing secret.
 */
export function signatureHeaders(run: ClaimedRun, body: string, now: Date): Record<string, string> {
  if (!run.signingSecrets || run.signingSecrets.length === 0) return {};
  return signWebhook({ secret: run.signingSecrets, id: run.runId, timestamp: Math.floor(now.getTime() / 1000), body });
}
