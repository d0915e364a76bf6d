// Sign-in, registration and sign-out.
//
// - GET/POST /login, GET/POST /register are guest pages: a signed-in user is redirected (303) to /ui/jobs.
// - Login failures all read "Email or password is invalid." (unknown email, wrong password, malformed input); an
//   unknown email still costs one argon2 verification. POST /login is throttled per client IP and per email
//   address (the UI's own counters, see UiLimiters in plugins/ui.ts); over the limit the form answers 429.
// - Registration never says that an email is taken: a duplicate gets the same generic message as any other
//   failure to create the account (plus a hint to sign in), the password is hashed either way, and no session is
//   started. Without email verification a determined visitor can still infer it (the account was not created),
//   which the per-IP throttle keeps slow. Field rules (email shape, password 8..1024 characters) are shown per
//   field: they say nothing about existing accounts.
// - POST /logout deletes the session row and clears the cookie; GET /logout shows a page with the sign-out button.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

import { createUser, DuplicateEmailError, MIN_PASSWORD_LENGTH, normalizeEmail, authenticateUser, UserInputError } from "@btick/contract/users";

import { pruneExpiredSessions } from "../../plugins/session.ts";
import type { UiLimiters } from "../../plugins/ui.ts";
import { Alert } from "../components/Alert.tsx";
import { Button } from "../components/Button.tsx";
import { Form, FormField } from "../components/FormField.tsx";
import { endSession, safeUiPath, setFlash, startSession, throttle, type FieldErrors, type UiState } from "../context.ts";
import { Card, Layout } from "../layout.tsx";

export const LOGIN_FAILED = "Email or password is invalid.";
export { THROTTLED } from "../context.ts";
export const REGISTER_FAILED = "We could not create an account with these details. If you already have an account, sign in instead.";

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** Only same-site paths under /ui are followed after sign-in. */
const safeNext = (v: unknown) => safeUiPath(v, "/ui/jobs");

function LoginPage({ ui, email, error, next }: { ui: UiState; email: string; error?: string; next: string }): JSX.Element {
  return (
    <Layout ui={ui} title="Sign in" narrow>
      <Card>
        <h1 class="text-xl font-semibold tracking-tight">Sign in to BTick</h1>
        <Form ui={ui} action="/login" class="mt-6 space-y-4" novalidate>
          {error ? <Alert kind="error" message={error} /> : ""}
          <input type="hidden" name="next" value={next} />
          <FormField label="Email" name="email" type="email" value={email} autocomplete="username" required autofocus />
          <FormField label="Password" name="password" type="password" autocomplete="current-password" required />
          <Button type="submit" variant="primary" class="w-full">
            Sign in
          </Button>
        </Form>
        <p class="mt-4 text-sm text-slate-600">
          No account yet?{" "}
          <a href="/register" class="font-medium text-indigo-700 hover:underline">
            Create one
          </a>
        </p>
      </Card>
    </Layout>
  );
}

function RegisterPage({ ui, email, errors }: { ui: UiState; email: string; errors: FieldErrors }): JSX.Element {
  return (
    <Layout ui={ui} title="Create account" narrow>
      <Card>
        <h1 class="text-xl font-semibold tracking-tight">Create your BTick account</h1>
        <p class="mt-1 text-sm text-slate-600">You get your own workspace for jobs and API keys.</p>
        <Form ui={ui} action="/register" class="mt-6 space-y-4" novalidate>
          {errors._form ? <Alert kind="error" message={errors._form} /> : ""}
          <FormField label="Email" name="email" type="email" value={email} error={errors.email} autocomplete="username" required autofocus />
          <FormField
            label="Password"
            name="password"
            type="password"
            error={errors.password}
            hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
            autocomplete="new-password"
            minlength={String(MIN_PASSWORD_LENGTH)}
            required
          />
          <Button type="submit" variant="primary" class="w-full">
            Create account
          </Button>
        </Form>
        <p class="mt-4 text-sm text-slate-600">
          Have an account?{" "}
          <a href="/login" class="font-medium text-indigo-700 hover:underline">
            Sign in
          </a>
        </p>
      </Card>
    </Layout>
  );
}

/** The login form again with the throttling message (called by the UI error handler for a 429 on POST /login). */
export async function renderLoginThrottled(request: FastifyRequest, reply: FastifyReply, message: string): Promise<FastifyReply> {
  const body = (request.body ?? {}) as Record<string, unknown>;
  await reply.status(429).html(<LoginPage ui={request.ui} email={str(body.email)} error={message} next={safeNext(body.next)} />);
  return reply;
}

function emailKey(request: FastifyRequest): string {
  const raw = str((request.body as Record<string, unknown> | undefined)?.email);
  try {
    return normalizeEmail(raw);
  } catch {
    return raw.trim().toLowerCase().slice(0, 320);
  }
}

export async function authPages(app: FastifyInstance, opts: { limiters: UiLimiters }): Promise<void> {
  const { limiters } = opts;
  const guestOnly = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.ui.user) await reply.redirect(safeNext((request.query as Record<string, unknown>).next), 303);
  };

  app.get("/login", { onRequest: guestOnly }, async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    return reply.html(<LoginPage ui={request.ui} email="" next={safeNext(q.next)} />);
  });

  // Two independent limits: per client IP, and per email address whatever the IP.
  const throttleLogin = async (request: FastifyRequest, reply: FastifyReply) => {
    throttle(reply, limiters.loginPerIp, request.ip);
    throttle(reply, limiters.loginPerAccount, emailKey(request));
  };

  app.post(
    "/login",
    { onRequest: guestOnly, preHandler: throttleLogin },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const email = str(body.email);
      const next = safeNext(body.next);
      const user = await authenticateUser(request.ui.db, email, str(body.password));
      if (!user) {
        return reply.status(401).html(<LoginPage ui={request.ui} email={email} error={LOGIN_FAILED} next={next} />);
      }
      await pruneExpiredSessions(request.ui.db);
      await startSession(request, reply, { id: user.userId, email: user.email, tenantId: user.tenantId });
      return reply.redirect(next, 303);
    },
  );

  app.get("/register", { onRequest: guestOnly }, async (request, reply) =>
    reply.html(<RegisterPage ui={request.ui} email="" errors={{}} />),
  );

  app.post(
    "/register",
    {
      onRequest: guestOnly,
      preHandler: async (request, reply) => throttle(reply, limiters.registerPerIp, request.ip),
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const email = str(body.email);
      try {
        const user = await createUser(request.ui.db, { email, password: str(body.password) });
        await startSession(request, reply, { id: user.userId, email: user.email, tenantId: user.tenantId });
        setFlash(request, reply, { kind: "success", message: "Welcome to BTick! Create your first job to get started." });
        return reply.redirect("/ui/jobs", 303);
      } catch (err) {
        let errors: FieldErrors;
        if (err instanceof UserInputError) {
          errors = { [err.field]: err.field === "email" ? `Email ${err.message}.` : `Password ${err.message}.` };
        } else if (err instanceof DuplicateEmailError) {
          errors = { _form: REGISTER_FAILED };
        } else {
          request.log.error({ err }, "registration failed");
          errors = { _form: REGISTER_FAILED };
        }
        return reply.status(422).html(<RegisterPage ui={request.ui} email={email} errors={errors} />);
      }
    },
  );

  // Signing out changes state, so it is a POST (the header's button); GET /logout offers that button.
  app.get("/logout", async (request, reply) => {
    if (!request.ui.user) return reply.redirect("/login", 303);
    return reply.html(
      <Layout ui={request.ui} title="Sign out" narrow>
        <Card>
          <h1 class="text-xl font-semibold tracking-tight">Sign out of BTick?</h1>
          <p class="mt-1 text-sm text-slate-600">
            Signed in as <span safe>{request.ui.user.email}</span>.
          </p>
          <Form ui={request.ui} action="/logout" class="mt-6">
            <Button type="submit" variant="primary" class="w-full">
              Sign out
            </Button>
          </Form>
        </Card>
      </Layout>,
    );
  });

  // Without a live session (ended in another tab, expired) there is nothing to protect: no CSRF token needed, so
  // a stale tab's button still signs out instead of showing a 403.
  app.post("/logout", { config: { csrf: "signed-in" } }, async (request, reply) => {
    await endSession(request, reply);
    setFlash(request, reply, { kind: "info", message: "You are signed out." });
    return reply.redirect("/login", 303);
  });
}
