// /ui/account: who is signed in, and the password change form. Changing the password ends every session of the
// user (all devices) and starts a fresh one for this browser.
import type { FastifyInstance } from "fastify";

import { changePassword, checkPassword, MIN_PASSWORD_LENGTH, UserInputError } from "@btick/contract/users";

import type { UiState } from "../../plugins/session.ts";
import { Alert } from "../components/Alert.tsx";
import { Button } from "../components/Button.tsx";
import { Form, FormField } from "../components/FormField.tsx";
import type { UiLimiters } from "../../plugins/ui.ts";
import { currentUser, setFlash, startSession, throttle, type FieldErrors } from "../context.ts";
import { Card, Layout, PageHeader } from "../layout.tsx";

const str = (v: unknown) => (typeof v === "string" ? v : "");

function AccountPage({ ui, errors }: { ui: UiState; errors: FieldErrors }): JSX.Element {
  return (
    <Layout ui={ui} title="Account" nav="account">
      <PageHeader title="Account" />
      <div class="grid max-w-2xl gap-6">
        <Card>
          <h2 class="text-base font-semibold">Signed in as</h2>
          <p class="mt-1 text-slate-700" safe>
            {ui.user?.email ?? ""}
          </p>
        </Card>
        <Card>
          <h2 class="text-base font-semibold">Change password</h2>
          <p class="mt-1 text-sm text-slate-600">This signs you out everywhere else.</p>
          <Form ui={ui} action="/ui/account/password" class="mt-4 space-y-4" novalidate>
            {errors._form ? <Alert kind="error" message={errors._form} /> : ""}
            <FormField label="Current password" name="current_password" type="password" error={errors.current_password} autocomplete="current-password" required />
            <FormField
              label="New password"
              name="new_password"
              type="password"
              error={errors.new_password}
              hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
              autocomplete="new-password"
              required
            />
            <Button type="submit" variant="primary">
              Change password
            </Button>
          </Form>
        </Card>
      </div>
    </Layout>
  );
}

export async function accountPages(app: FastifyInstance, opts: { limiters: UiLimiters }): Promise<void> {

  app.get("/account", async (request, reply) => reply.html(<AccountPage ui={request.ui} errors={{}} />));

  app.post("/account/password", async (request, reply) => {
    const user = currentUser(request);
    // Guessing the current password through a stolen session is throttled like sign-in (per user).
    throttle(reply, opts.limiters.passwordChangePerUser, user.id);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = str(body.new_password);
    try {
      checkPassword(next);
    } catch (err) {
      if (!(err instanceof UserInputError)) throw err;
      return reply.status(422).html(<AccountPage ui={request.ui} errors={{ new_password: `New password ${err.message}.` }} />);
    }
    const changed = await changePassword(request.ui.db, user.id, str(body.current_password), next);
    if (!changed) {
      return reply.status(422).html(<AccountPage ui={request.ui} errors={{ current_password: "Current password is incorrect." }} />);
    }
    await startSession(request, reply, user);
    setFlash(request, reply, { kind: "success", message: "Password changed. Your other sessions were signed out." });
    return reply.redirect("/ui/account", 303);
  });
}
