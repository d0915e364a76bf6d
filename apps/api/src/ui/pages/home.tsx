// GET / : what BTick is, with sign-in/registration links for guests and shortcuts for signed-in users.
import type { FastifyInstance } from "fastify";

import { LinkButton } from "../components/Button.tsx";
import { Layout } from "../layout.tsx";

const FEATURES: { title: string; text: string }[] = [
  { title: "Cron schedules in any timezone", text: "Standard cron expressions (optional seconds field), evaluated in the IANA timezone you choose, DST included." },
  { title: "Retries that back off", text: "Network errors, timeouts, 5xx and 429 are retried with exponential backoff and jitter; Retry-After is honoured." },
  { title: "Every run recorded", text: "Request, each attempt, response status, headers and body, so you can see what your endpoint answered." },
  { title: "API first", text: "Everything here is also a REST and tRPC API with scoped API keys and an OpenAPI document." },
];

const EXAMPLE = `curl -X POST http://localhost:8080/api/v1/jobs \\
  -H "Authorization: Bearer $BTICK_KEY" -H "Content-Type: application/json" \\
  -d '{"name":"nightly report","method":"POST","url":"https://example.com/hooks/report",
       "cron_expression":"0 2 * * *","timezone":"Europe/Berlin","retry_max":3}'`;

export async function homePages(app: FastifyInstance): Promise<void> {
  app.get("/", async (request, reply) => {
    const ui = request.ui;
    return reply.html(
      <Layout ui={ui} title="Scheduled HTTP jobs" nav="home">
        <section class="py-6 sm:py-12">
          <p class="text-sm font-semibold text-indigo-600">BTick</p>
          <h1 class="mt-2 max-w-3xl text-3xl font-semibold tracking-tight text-slate-900 sm:text-5xl">
            Call your HTTP endpoints on a schedule, and see every run.
          </h1>
          <p class="mt-4 max-w-2xl text-lg text-slate-600">
            BTick is a scheduler for recurring HTTP jobs. Define a URL, a method and a cron expression; workers fire the
            request on time, retry failures and keep the history.
          </p>
          <div class="mt-8 flex flex-wrap gap-3">
            {ui.user ? (
              <>
                <LinkButton href="/ui/jobs" variant="primary">
                  Open your jobs
                </LinkButton>
                <LinkButton href="/ui/jobs/new">Create a job</LinkButton>
                <LinkButton href="/ui/api-keys">Manage API keys</LinkButton>
              </>
            ) : (
              <>
                <LinkButton href="/register" variant="primary">
                  Create an account
                </LinkButton>
                <LinkButton href="/login">Sign in</LinkButton>
              </>
            )}
            <LinkButton href="/docs" variant="ghost">
              Read the API docs →
            </LinkButton>
          </div>
        </section>
        <section aria-labelledby="features" class="py-6">
          <h2 id="features" class="sr-only">
            Features
          </h2>
          <ul class="grid gap-4 sm:grid-cols-2">
            {FEATURES.map((f) => (
              <li class="rounded-lg bg-white p-5 shadow-sm ring-1 ring-slate-200">
                <h3 class="font-semibold text-slate-900" safe>
                  {f.title}
                </h3>
                <p class="mt-1 text-sm text-slate-600" safe>
                  {f.text}
                </p>
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="example" class="py-6">
          <h2 id="example" class="text-lg font-semibold">
            A job is one API call away
          </h2>
          <pre class="mt-3 overflow-x-auto rounded-lg bg-slate-900 p-4 text-sm text-slate-100">
            {EXAMPLE}
          </pre>
        </section>
      </Layout>,
    );
  });
}
