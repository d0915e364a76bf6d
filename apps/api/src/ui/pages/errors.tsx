// The HTML error page (404, 403, 500, ...) used by the UI error and not-found handlers.
import type { UiState } from "../../plugins/session.ts";
import { LinkButton } from "../components/Button.tsx";
import { Card, Layout } from "../layout.tsx";

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Sign in required",
  403: "Forbidden",
  404: "Page not found",
  405: "Method not allowed",
  413: "Request too large",
  415: "Unsupported request",
  429: "Too many requests",
  500: "Something went wrong",
  503: "Service unavailable",
};

export const errorTitle = (status: number) => TITLES[status] ?? (status >= 500 ? TITLES[500] ?? "Error" : "Request failed");

export function ErrorPage({ ui, status, message }: { ui: UiState; status: number; message: string }): JSX.Element {
  const title = errorTitle(status);
  return (
    <Layout ui={ui} title={title} narrow>
      <Card class="text-center">
        <p class="text-sm font-semibold text-indigo-600" safe>
          {String(status)}
        </p>
        <h1 class="mt-2 text-2xl font-semibold tracking-tight" safe>
          {title}
        </h1>
        <p class="mt-3 text-slate-600" safe>
          {message}
        </p>
        <div class="mt-6 flex justify-center gap-2">
          {ui.user ? (
            <LinkButton href="/ui/jobs" variant="primary">
              Go to jobs
            </LinkButton>
          ) : (
            <LinkButton href="/" variant="primary">
              Go to the home page
            </LinkButton>
          )}
        </div>
      </Card>
    </Layout>
  );
}
