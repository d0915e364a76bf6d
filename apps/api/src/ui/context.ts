// Helpers every UI page handler uses: the tRPC caller acting as the signed-in user, the sign-in guard, mapping
// API errors to per-field form messages, and errors that render as HTML error pages.
import { TRPCError } from "@trpc/server";
import type { FastifyReply, FastifyRequest } from "fastify";

import { SCOPES } from "@btick/auth";
import { createCaller, createContext, developmentSecretsOptions, envelopeFromTRPCError } from "@btick/contract";

import type { SessionUser } from "../plugins/session.ts";
import type { FixedWindowCounter } from "../plugins/windowCounter.ts";

export { endSession, setFlash, setReveal, startSession, takeReveal, type Flash, type Reveal, type SessionUser, type UiState } from "../plugins/session.ts";

/** Thrown by a page handler to answer with the HTML error page for `status` (404, 403, ...). */
export class UiHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = "UiHttpError";
  }
}

export const notFoundPage = (what = "page") => new UiHttpError(404, `This ${what} does not exist or is not yours.`);

export const THROTTLED = "Too many attempts. Wait a few minutes and try again.";

/**
 * Counts an attempt against a throttle (sign-in, registration, password change); over the limit it throws the 429
 * page with Retry-After instead.
 *
 *   throttle(reply, limiters.loginPerIp, request.ip);
 */
export function throttle(reply: FastifyReply, counter: FixedWindowCounter, key: string): void {
  const wait = counter.attempt(key);
  if (wait === 0) return;
  void reply.header("retry-after", String(wait));
  throw new UiHttpError(429, THROTTLED);
}

/** Whether a procedure failed because its object does not exist for this user (the UI's 404 page). */
export function isNotFound(err: unknown): boolean {
  if (err instanceof UiHttpError) return err.statusCode === 404;
  if (!(err instanceof TRPCError)) return false;
  const env = envelopeFromTRPCError(err);
  return env.status === 404 || (env.status === 400 && /^invalid \w+Id$/.test(env.error.error_message));
}

export function isHtmx(request: FastifyRequest): boolean {
  return request.headers["hx-request"] === "true";
}

/** The signed-in user; throws (→ redirect to /login) when there is none. Use inside /ui/* handlers. */
export function currentUser(request: FastifyRequest): SessionUser {
  const user = request.ui.user;
  if (!user) throw new UiHttpError(401, "sign in required");
  return user;
}

/** Printable path and query characters; no spaces, quotes, backslashes or control characters. */
const UI_PATH = /^\/ui(?:[/?][A-Za-z0-9\-._~/?=&%+,:@]*)?$/;

/**
 * `value` when it is a path of this UI that is safe to redirect to (`/ui` or `/ui/…` and a query: plain ASCII, no
 * `//`, no `..` segment, no control characters that would break the Location header), otherwise `fallback`.
 * Every redirect target taken from a request goes through it: `return_to` of row actions, `next` of sign-in.
 */
export function safeUiPath(value: unknown, fallback: string): string {
  if (typeof value !== "string" || value.length > 2048 || !UI_PATH.test(value)) return fallback;
  const path = value.split("?")[0] ?? "";
  return path.includes("//") || path.split("/").includes("..") ? fallback : value;
}

/** /login, remembering `next` (a safe UI path) to return to after signing in. */
export function loginUrl(next: string | null): string {
  const target = next === null ? null : safeUiPath(next, "");
  return target ? `/login?next=${encodeURIComponent(target)}` : "/login";
}

/** The page an htmx request was made from (its HX-Current-URL), as a path, or null. */
function htmxCurrentPath(request: FastifyRequest): string | null {
  const current = request.headers["hx-current-url"];
  if (typeof current !== "string") return null;
  try {
    const url = new URL(current);
    return `${url.pathname}${url.search}`;
  } catch {
    return null;
  }
}

/**
 * Guard hook (onRequest) for pages that need a session: a normal request is redirected (303) to /login, an htmx
 * request gets 401 with `HX-Redirect: /login…` so htmx does a full-page navigation. The login page gets the page
 * to come back to as `next`: the requested one for a GET, the page an htmx request came from. Every route under
 * /ui is registered behind it already (see plugins/ui.ts); use it directly only for other paths.
 */
export async function requireUser(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.ui.user) return;
  if (isHtmx(request)) {
    await reply.status(401).header("hx-redirect", loginUrl(htmxCurrentPath(request))).send("");
  } else {
    await reply.redirect(loginUrl(request.method === "GET" ? request.url : null), 303);
  }
}

/**
 * The API's procedures, called as the signed-in user (all scopes, the user's tenant), so the UI gets exactly the
 * API's authorization, validation and not-found rules:
 *
 *   const api = await uiCaller(request);
 *   const { jobs, next_cursor } = await api.jobs.list({ limit: 20 });
 *
 * Failures are TRPCErrors: let NOT_FOUND/FORBIDDEN propagate (the UI error handler renders the 404/403 page),
 * and turn validation errors into form messages with `formErrors(err)`.
 */
export async function uiCaller(request: FastifyRequest) {
  const user = currentUser(request);
  const ctx = await createContext({
    db: request.ui.db,
    ...request.ui.api,
    principal: { kind: "user", id: user.id, tenantId: user.tenantId, scopes: SCOPES },
  });
  return createCaller(ctx);
}

export type UiCaller = Awaited<ReturnType<typeof uiCaller>>;

export interface SecretHeaderRules {
  /** The server's rule (SECRET_HEADER_PATTERNS): a header it matches is stored encrypted and read back as ***. */
  isSecret: (headerName: string) => boolean;
  /** The configured patterns, for hints. */
  patterns: readonly string[];
}

/** The secret-header rule the API's procedures apply for this server, so pages show what the server encrypts. */
export function secretHeaderRules(request: FastifyRequest): SecretHeaderRules {
  const secrets = request.ui.api.secrets ?? developmentSecretsOptions();
  return { isSecret: secrets.isSecretHeader, patterns: secrets.secretHeaderPatterns };
}

/** Per-field messages for a form: `{ name: "must not be empty", "headers.X-Foo": "…" }`; `_form` holds a message
 * that belongs to no field. */
export type FieldErrors = Record<string, string>;

export const FORM_ERROR_KEY = "_form";

/**
 * Maps a failed procedure call to form messages, keyed by the API's snake_case field names (several messages for
 * one field are joined with "; "). 400/409/422-type failures become messages; anything else (404, 403, 500, non-tRPC
 * errors) is rethrown so the error page renders.
 *
 *   try { await api.jobs.create(input) } catch (err) { errors = formErrors(err) }   // then re-render the form
 */
export function formErrors(err: unknown): FieldErrors {
  if (!(err instanceof TRPCError)) throw err;
  const env = envelopeFromTRPCError(err);
  if (env.status !== 400 && env.status !== 409 && env.status !== 422) throw err;
  const out: FieldErrors = {};
  if (env.validation && env.validation.length > 0) {
    for (const issue of env.validation) {
      out[issue.field] = out[issue.field] ? `${out[issue.field]}; ${issue.message}` : issue.message;
    }
  } else {
    out[FORM_ERROR_KEY] = env.error.error_message;
  }
  return out;
}
