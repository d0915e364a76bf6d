// The web UI: server-rendered pages (@kitajs/html + htmx), an encapsulated sibling of the REST and tRPC plugins,
// so its cookies, HTML replies, session and CSRF hooks and HTML error pages never touch /api/v1 or /trpc.
//
// Contexts:
//   assets   /assets/*                       static files, no session (ui/assets.ts)
//   pages    /, /login, /register, /logout   cookie + session + CSRF + HTML errors (ui/pages/home.tsx, auth.tsx)
//     app    /ui/*  (prefix "/ui")           + sign-in guard and the HTML 404 page; page plugins register their
//                                            routes relative to /ui: app.get("/jobs/:jobId", …) serves /ui/jobs/:jobId
// How to write a page: see the comment at the top of src/ui/layout.tsx.
import cookie from "@fastify/cookie";
import kitaHtml from "@kitajs/fastify-html-plugin";
import { TRPCError } from "@trpc/server";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

import { envelopeFromTRPCError, type JobLimits, type SecretsOptions } from "@btick/contract";
import type { Db } from "@btick/db";

import { Alert } from "../ui/components/Alert.tsx";
import { isHtmx, requireUser, UiHttpError } from "../ui/context.ts";
import { accountPages } from "../ui/pages/account.tsx";
import { apiKeyPages } from "../ui/pages/apiKeys.tsx";
import { authPages, renderLoginThrottled } from "../ui/pages/auth.tsx";
import { ErrorPage } from "../ui/pages/errors.tsx";
import { homePages } from "../ui/pages/home.tsx";
import { jobsPages } from "../ui/pages/jobs/index.tsx";
import { assetsPlugin } from "../ui/assets.ts";
import { envelopeForFastifyError, NOT_FOUND_PAGE_MESSAGE, type HtmlErrors } from "./errors.ts";
import { CsrfError, sessionPlugin, type UiState } from "./session.ts";
import { FixedWindowCounter } from "./windowCounter.ts";

export interface ThrottleOptions {
  /** Sign-in attempts per client IP per window. */
  loginPerIp: number;
  /** Sign-in attempts per email address per window (whatever the IP). */
  loginPerAccount: number;
  /** Registration attempts per client IP per window. */
  registerPerIp: number;
  /** Password-change attempts per signed-in user per window. */
  passwordChangePerUser: number;
  windowMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { loginPerIp: 30, loginPerAccount: 10, registerPerIp: 20, passwordChangePerUser: 10, windowMs: 15 * 60_000 };

/**
 * The UI's throttles: counters of this server instance, independent of the API's rate limits (plugins/security.ts),
 * so they apply whatever API_RATE_LIMIT_PER_MINUTE says. Over a limit the page answers 429 with Retry-After.
 */
export interface UiLimiters {
  loginPerIp: FixedWindowCounter;
  loginPerAccount: FixedWindowCounter;
  registerPerIp: FixedWindowCounter;
  passwordChangePerUser: FixedWindowCounter;
}

export function createUiLimiters(t: ThrottleOptions): UiLimiters {
  return {
    loginPerIp: new FixedWindowCounter(t.loginPerIp, t.windowMs),
    loginPerAccount: new FixedWindowCounter(t.loginPerAccount, t.windowMs),
    registerPerIp: new FixedWindowCounter(t.registerPerIp, t.windowMs),
    passwordChangePerUser: new FixedWindowCounter(t.passwordChangePerUser, t.windowMs),
  };
}

export interface UiOptions {
  db: Db;
  /** Passed to the API's procedures, as the REST and tRPC plugins do. */
  secrets?: SecretsOptions | undefined;
  limits?: JobLimits | undefined;
  sessionSecret: string;
  sessionTtlHours: number;
  throttle?: Partial<ThrottleOptions>;
}

const NOT_FOUND_MESSAGE = NOT_FOUND_PAGE_MESSAGE;

interface ErrorView {
  status: number;
  message: string;
}

/** Maps anything thrown while serving a page to a status and a message that is safe to show. */
export function errorView(err: unknown): ErrorView {
  if (err instanceof UiHttpError) return { status: err.statusCode, message: err.message };
  if (err instanceof CsrfError) return { status: 403, message: err.message };
  if (err instanceof TRPCError) {
    const env = envelopeFromTRPCError(err);
    // A malformed id in the URL is just a page that does not exist.
    if (env.status === 404 || (env.status === 400 && /^invalid \w+Id$/.test(env.error.error_message))) {
      return { status: 404, message: NOT_FOUND_MESSAGE };
    }
    if (env.status >= 500) return { status: 500, message: "An unexpected error occurred. Please try again." };
    return { status: env.status, message: env.error.error_message };
  }
  const fe = err as FastifyError;
  if (typeof fe?.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    if (fe.statusCode === 429) return { status: 429, message: "Too many attempts. Wait a few minutes and try again." };
    return { status: fe.statusCode, message: envelopeForFastifyError(fe).error.error_message };
  }
  return { status: 500, message: "An unexpected error occurred. Please try again." };
}

function guestState(db: Db): UiState {
  return { db, api: {}, user: null, sessionId: null, csrfToken: "", flash: null };
}

async function renderError(request: FastifyRequest, reply: FastifyReply, view: ErrorView, db: Db): Promise<FastifyReply> {
  const ui = request.ui ?? guestState(db);
  if (isHtmx(request)) {
    // Show the message in the page's flash area instead of swapping the error into the target.
    await reply
      .status(view.status)
      .header("hx-retarget", "#flash")
      .header("hx-reswap", "innerHTML")
      .html(Alert({ kind: "error", message: view.message }));
  } else {
    await reply.status(view.status).html(ErrorPage({ ui, status: view.status, message: view.message }));
  }
  return reply;
}

async function pagesContext(app: FastifyInstance, opts: UiOptions): Promise<void> {
  const limiters = createUiLimiters({ ...DEFAULT_THROTTLE, ...opts.throttle });
  await app.register(cookie, { secret: opts.sessionSecret, hook: "onRequest" });
  await app.register(kitaHtml);
  await app.register(sessionPlugin, { db: opts.db, api: { secrets: opts.secrets, limits: opts.limits }, secret: opts.sessionSecret, ttlHours: opts.sessionTtlHours });

  // Security headers (CSP, framing, nosniff) come from the server-wide helmet registration (plugins/security.ts).
  app.addHook("onSend", async (_request, reply, payload) => {
    if (!reply.hasHeader("cache-control")) void reply.header("cache-control", "no-store");
    return payload;
  });

  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const view = errorView(err);
    if (view.status >= 500) request.log.error({ err }, "ui request failed");
    else request.log.info({ status: view.status, message: (err as Error).message }, "ui request rejected");
    if (view.status === 401) {
      await requireUser(request, reply);
      return reply;
    }
    if (view.status === 429 && request.method === "POST" && request.url.split("?")[0] === "/login" && request.ui) {
      return renderLoginThrottled(request, reply, view.message);
    }
    return renderError(request, reply, view, opts.db);
  });

  await app.register(homePages);
  await app.register(authPages, { limiters });

  // Everything under /ui requires a session.
  await app.register(
    async (ui) => {
      ui.addHook("onRequest", requireUser);
      ui.setNotFoundHandler(async (request, reply) =>
        renderError(request, reply, { status: 404, message: NOT_FOUND_MESSAGE }, opts.db),
      );
      ui.get("/", async (_request, reply) => reply.redirect("/ui/jobs", 303));
      await ui.register(apiKeyPages);
      await ui.register(accountPages, { limiters });
      await ui.register(jobsPages);
    },
    { prefix: "/ui" },
  );
}

/** The paths the web UI owns (outside them, HTML error pages are only for browsers that ask for HTML). */
export function isUiPath(path: string): boolean {
  return path === "/" || path === "/login" || path === "/register" || path === "/logout" || path === "/ui" || path.startsWith("/ui/");
}

/**
 * HTML error pages for errors raised outside the UI's own contexts: unknown paths opened in a browser (/nope), a
 * wrong method on a UI path (PUT /login), a malformed URL (/ui/%E0%A4%A). Rendered without a session lookup, so
 * they show the guest header.
 */
export const standaloneErrorPages: HtmlErrors = {
  owns: isUiPath,
  async render(reply, status, message) {
    const ui: UiState = { db: null as unknown as Db, api: {}, user: null, sessionId: null, csrfToken: "", flash: null };
    const html = await ErrorPage({ ui, status, message });
    return reply
      .status(status)
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("x-content-type-options", "nosniff")
      .send(`<!doctype html>${html}`);
  },
};

export async function uiPlugin(app: FastifyInstance, opts: UiOptions): Promise<void> {
  await app.register(assetsPlugin);
  await app.register(pagesContext, opts);
}
