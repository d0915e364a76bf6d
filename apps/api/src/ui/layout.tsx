// Page shell for every full HTML page of the web UI.
//
// HOW UI PAGES ARE WRITTEN
// - A page module (src/ui/pages/<area>.tsx or src/ui/pages/<area>/index.tsx) exports a Fastify plugin that adds
//   its routes; plugins/ui.ts registers it. Routes under /ui/* sit behind the sign-in guard already (a normal
//   request without a session gets 303 /login, an htmx request 401 + HX-Redirect). request.ui holds the state:
//   { user, csrfToken, flash, db }.
// - Data comes ONLY from the API's procedures: `const api = await uiCaller(request)` (ui/context.ts), so
//   authorization, validation and tenant isolation are the API's. Never query the database for tenant data.
// - Render with `return reply.html(<Layout ui={request.ui} title="Jobs" nav="jobs">…</Layout>)`; htmx partials
//   return just the fragment: `if (isHtmx(request)) return reply.html(<JobsTable …/>)`.
// - Escaping: kitajs escapes attribute values, but NOT children. Wrap every string child that is not a literal in
//   an element with the `safe` attribute: `<td safe>{job.name}</td>`, or `<span safe>{x}</span>`. `pnpm lint`
//   runs xss-scan, which fails on unescaped children. Never use `safe` on JSX children (double escaping).
// - Forms: `<Form ui={request.ui} action="…">` (adds the CSRF field); htmx requests send the token from the
//   hx-headers on <body>. Controls: FormField / Field + TextArea / Select with `error={errors.field}` where
//   `errors = formErrors(err)` maps the API's validation envelope to { [snake_case field]: message }.
// - Post/Redirect/Get: successful non-htmx POSTs answer 303 to a GET page; use setFlash(request, reply, {kind,
//   message}) to show a one-shot notice there. Re-rendered forms with errors answer 422 (htmx swaps 4xx/5xx too).
// - Missing or foreign objects: let the procedure's NOT_FOUND propagate, or `throw notFoundPage("job")`; the UI
//   error handler renders the 404 page (403/500 likewise; never a stack trace).
// - Accessibility: every control has a label, buttons are <button>s, focus rings stay visible, and tables scroll
//   sideways on phones (components/Table.tsx).
import type { PropsWithChildren } from "@kitajs/html";

import type { Flash, UiState } from "../plugins/session.ts";
import { Alert } from "./components/Alert.tsx";
import { CsrfInput } from "./components/FormField.tsx";
import { ASSET_VERSION } from "./assets.ts";

export type NavKey = "jobs" | "api-keys" | "account" | "home" | "none";

export interface LayoutProps {
  ui: UiState;
  title: string;
  nav?: NavKey;
  /** Narrow centred column (sign-in forms). */
  narrow?: boolean;
}

/** htmx settings: swap error responses too (the server decides what a 4xx/5xx shows), no inline indicator CSS. */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  responseHandling: [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "[45]..", swap: true, error: true },
  ],
});

const NAV_LINK =
  "rounded-md px-2.5 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-white";

function NavLink({ href, active, label }: { href: string; active: boolean; label: string }): JSX.Element {
  return (
    <a
      href={href}
      class={`${NAV_LINK} ${active ? "bg-slate-800 text-white" : "text-slate-300 hover:bg-slate-800 hover:text-white"}`}
      aria-current={active ? "page" : undefined}
      safe
    >
      {label}
    </a>
  );
}

export function Layout({ ui, title, nav = "none", narrow = false, children }: PropsWithChildren<LayoutProps>): JSX.Element {
  return (
      <html lang="en" class="h-full bg-slate-50">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <meta name="csrf-token" content={ui.csrfToken} />
          <title safe>{`${title} · BTick`}</title>
          <link rel="icon" href="data:," />
          <link rel="stylesheet" href={`/assets/app.css?v=${ASSET_VERSION}`} />
          <script src={`/assets/htmx.min.js?v=${ASSET_VERSION}`} defer></script>
          <script src={`/assets/ui.js?v=${ASSET_VERSION}`} defer></script>
        </head>
        <body class="min-h-full text-slate-900 antialiased" hx-headers={JSON.stringify({ "X-CSRF-Token": ui.csrfToken })}>
          <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:rounded focus:bg-white focus:px-3 focus:py-2">
            Skip to content
          </a>
          <header class="bg-slate-900">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
              <a href={ui.user ? "/ui/jobs" : "/"} class="mr-2 flex items-center gap-2 text-base font-semibold text-white">
                <span aria-hidden="true" class="inline-block size-2.5 rounded-full bg-indigo-400"></span>
                BTick
              </a>
              {ui.user ? (
                <>
                  <nav aria-label="Main" class="flex flex-wrap items-center gap-1">
                    <NavLink href="/ui/jobs" active={nav === "jobs"} label="Jobs" />
                    <NavLink href="/ui/api-keys" active={nav === "api-keys"} label="API keys" />
                    <NavLink href="/docs" active={false} label="API docs" />
                  </nav>
                  <div class="ml-auto flex items-center gap-2">
                    {/* On phones the link reads "Account" (the email would not fit); from sm up it shows the email. */}
                    <a
                      href="/ui/account"
                      class={`${NAV_LINK} max-w-64 truncate ${nav === "account" ? "bg-slate-800 text-white" : "text-slate-300 hover:bg-slate-800 hover:text-white"}`}
                      aria-current={nav === "account" ? "page" : undefined}
                      aria-label={`Account (${ui.user.email})`}
                      title={ui.user.email}
                    >
                      <span class="sm:hidden">Account</span>
                      <span class="hidden sm:inline" safe>
                        {ui.user.email}
                      </span>
                    </a>
                    <form method="post" action="/logout">
                      <CsrfInput ui={ui} />
                      <button type="submit" class={`${NAV_LINK} text-slate-300 ring-1 ring-slate-700 hover:bg-slate-800 hover:text-white`}>
                        Sign out
                      </button>
                    </form>
                  </div>
                </>
              ) : (
                <nav aria-label="Account" class="ml-auto flex items-center gap-1">
                  <NavLink href="/docs" active={false} label="API docs" />
                  <NavLink href="/login" active={false} label="Sign in" />
                  <a href="/register" class={`${NAV_LINK} bg-indigo-500 text-white hover:bg-indigo-400`}>
                    Create account
                  </a>
                </nav>
              )}
            </div>
          </header>
          <main id="main" class={`mx-auto px-4 py-6 sm:py-8 ${narrow ? "max-w-md" : "max-w-6xl"}`}>
            <FlashArea flash={ui.flash} />
            {children}
          </main>
        </body>
      </html>
  );
}

/**
 * The page's notice area (#flash). `oob`: rendered into an htmx response as an out-of-band swap, to show a notice
 * after a partial update (e.g. "Job deleted" when a row action re-renders the table); it then takes the keyboard
 * focus if the swap removed the focused control (ui.js, data-focus-after-swap).
 */
export function FlashArea({ flash, oob = false }: { flash: Flash | null; oob?: boolean }): JSX.Element {
  return (
    <div
      id="flash"
      class="mb-4 space-y-2 empty:hidden focus:outline-none"
      aria-live="polite"
      hx-swap-oob={oob ? "true" : undefined}
      tabindex={oob ? "-1" : undefined}
      data-focus-after-swap={oob ? "" : undefined}
    >
      {flash ? <Alert kind={flash.kind} message={flash.message} /> : ""}
    </div>
  );
}

/** Page heading with optional actions on the right (buttons/links as children). */
export function PageHeader({ title, subtitle, children }: PropsWithChildren<{ title: string; subtitle?: string }>): JSX.Element {
  return (
    <div class="mb-6 flex flex-wrap items-end justify-between gap-3">
      <div class="min-w-0">
        <h1 class="truncate text-2xl font-semibold tracking-tight text-slate-900" safe>
          {title}
        </h1>
        {subtitle ? (
          <p class="mt-1 text-sm text-slate-600" safe>
            {subtitle}
          </p>
        ) : (
          ""
        )}
      </div>
      <div class={children ? "flex flex-wrap items-center gap-2" : "hidden"}>{children}</div>
    </div>
  );
}

/** White panel. */
export function Card({ children, class: extra }: PropsWithChildren<{ class?: string }>): JSX.Element {
  return <section class={`rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:p-6 ${extra ?? ""}`}>{children}</section>;
}
