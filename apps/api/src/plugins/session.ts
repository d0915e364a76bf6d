// Web UI sessions and CSRF tokens (used only inside the UI plugin's context).
//
// Session: the `btick_session` cookie holds a random 32-byte token (base64url), signed with UI_SESSION_SECRET
// by @fastify/cookie. The database stores only SHA-256(token) as sessions.id, so a leaked table yields no usable
// cookie. A session ends at expires_at (created + UI_SESSION_TTL_HOURS, not sliding), on logout (row deleted) or
// on password change (all the user's rows deleted).
//
// CSRF: every state-changing UI request must carry a token, as the `_csrf` form field or the `X-CSRF-Token`
// header (htmx sends it from <body hx-headers>). Signed-in: HMAC(secret, "session" + session token). Guests
// (login/register forms): HMAC(secret, "guest" + the random `btick_csrf` cookie), so login CSRF is covered too.
// Tokens are derived, not stored; a mismatch is a 403 page. Sign-out without a live session needs no token (it
// changes nothing): a stale tab still signs out.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";

import { developmentSecretsOptions, type JobLimits, type SecretsOptions } from "@btick/contract";
import type { Db } from "@btick/db";

export const SESSION_COOKIE = "btick_session";
export const GUEST_CSRF_COOKIE = "btick_csrf";
export const FLASH_COOKIE = "btick_flash";
export const CSRF_FIELD = "_csrf";
export const CSRF_HEADER = "x-csrf-token";

/** last_seen_at is written at most this often per session. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

export interface SessionUser {
  id: string;
  email: string;
  tenantId: string;
}

export interface Flash {
  kind: "success" | "error" | "info";
  message: string;
}

/** Per-request UI state, set by the session hook for every request in the UI context. */
export interface UiState {
  db: Db;
  /** Secret-header rules and job limits handed to the API's procedures (see uiCaller). */
  api: UiApiOptions;
  user: SessionUser | null;
  /** sha256 id of the current session, when signed in. */
  sessionId: string | null;
  /** The token forms and htmx requests must send back (hidden `_csrf` input / X-CSRF-Token header). */
  csrfToken: string;
  /** A one-shot message set by the previous request (e.g. "Job deleted"), shown by the layout. */
  flash: Flash | null;
}

declare module "fastify" {
  interface FastifyRequest {
    /** UI request state; only set inside the UI plugin's context. */
    ui: UiState;
  }
  interface FastifyContextConfig {
    /**
     * "signed-in": the route needs the CSRF token only when a session is live (POST /logout: a stale tab whose
     * session ended elsewhere can still sign out, which changes nothing). Default: always required.
     */
    csrf?: "signed-in";
  }
}

export interface UiApiOptions {
  secrets?: SecretsOptions | undefined;
  limits?: JobLimits | undefined;
}

export interface SessionOptions {
  db: Db;
  api: UiApiOptions;
  secret: string;
  ttlHours: number;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function hmac(secret: string, purpose: string, value: string): string {
  return createHmac("sha256", secret).update(`${purpose}\0${value}`).digest("base64url");
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieBase(request: FastifyRequest) {
  return { path: "/", httpOnly: true, sameSite: "lax" as const, secure: request.protocol === "https", signed: true };
}

function readSigned(request: FastifyRequest, name: string): string | null {
  const raw = request.cookies[name];
  if (!raw) return null;
  const result = request.unsignCookie(raw);
  return result.valid && result.value ? result.value : null;
}

/** Starts a session for `user`, sets the cookie and switches request.ui to it (new CSRF token). */
export async function startSession(request: FastifyRequest, reply: FastifyReply, user: SessionUser): Promise<void> {
  const { db, ttlHours, secret } = sessionConfig(request);
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + ttlHours * 3_600_000);
  await db.session.create({ data: { id: hashToken(token), userId: user.id, expiresAt } });
  reply.setCookie(SESSION_COOKIE, token, { ...cookieBase(request), expires: expiresAt });
  request.ui.user = user;
  request.ui.sessionId = hashToken(token);
  request.ui.csrfToken = hmac(secret, "session", token);
}

/** Ends the current session (row deleted) and clears the cookie. */
export async function endSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.ui.sessionId) await request.ui.db.session.deleteMany({ where: { id: request.ui.sessionId } });
  reply.clearCookie(SESSION_COOKIE, { path: "/" });
  request.ui.user = null;
  request.ui.sessionId = null;
}

/**
 * A secret the UI shows exactly once, on the page after the POST that made it (Post/Redirect/Get: reloading that
 * page shows it no more, and re-posts nothing).
 */
export type Reveal =
  | { kind: "api_key"; keyId: string; name: string; scopes: string[]; rawKey: string }
  | { kind: "signing_secret"; jobId: string; secret: string; rotated: boolean; previousExpiresAt: string | null };

function revealSecrets(request: FastifyRequest): SecretsOptions {
  return request.ui.api.secrets ?? developmentSecretsOptions();
}

const revealContext = (sessionId: string) => `ui-reveal:${sessionId}`;

/** A reveal not shown within this time (the redirect right after the POST shows it) is dropped unseen. */
const REVEAL_TTL_MS = 10 * 60_000;

/**
 * Stores `reveal` in the current session for the next page (use before a 303 redirect). It is kept server-side,
 * encrypted with the secrets keyring and bound to the session; a later reveal replaces it, and one not shown
 * within 10 minutes is dropped.
 */
export async function setReveal(request: FastifyRequest, reveal: Reveal): Promise<void> {
  const sessionId = request.ui.sessionId;
  if (sessionId === null) throw new Error("setReveal needs a signed-in session");
  const sealed = revealSecrets(request).keyring.seal(JSON.stringify({ at: Date.now(), reveal }), revealContext(sessionId));
  await request.ui.db.session.updateMany({ where: { id: sessionId }, data: { reveal: sealed } });
}

/**
 * The session's reveal when `wanted` accepts it, removed in the same step (of two concurrent requests only one gets
 * it); null when there is none, it is for another page, or it cannot be read.
 */
export async function takeReveal<K extends Reveal["kind"]>(
  request: FastifyRequest,
  kind: K,
  wanted: (reveal: Extract<Reveal, { kind: K }>) => boolean = () => true,
): Promise<Extract<Reveal, { kind: K }> | null> {
  const sessionId = request.ui.sessionId;
  if (sessionId === null) return null;
  const row = await request.ui.db.session.findUnique({ where: { id: sessionId }, select: { reveal: true } });
  if (!row?.reveal) return null;
  let reveal: Reveal;
  try {
    const stored = JSON.parse(revealSecrets(request).keyring.open(row.reveal, revealContext(sessionId))) as { at: number; reveal: Reveal };
    if (!(Date.now() - stored.at < REVEAL_TTL_MS)) throw new Error("expired");
    reveal = stored.reveal;
  } catch {
    // Unreadable (the key was rotated away) or too old: dropped.
    await request.ui.db.session.updateMany({ where: { id: sessionId, reveal: row.reveal }, data: { reveal: null } });
    return null;
  }
  if (reveal.kind !== kind || !wanted(reveal as Extract<Reveal, { kind: K }>)) return null;
  const { count } = await request.ui.db.session.updateMany({ where: { id: sessionId, reveal: row.reveal }, data: { reveal: null } });
  return count === 1 ? (reveal as Extract<Reveal, { kind: K }>) : null;
}

/** Sets a one-shot message shown on the next full page (use before a 303 redirect). */
export function setFlash(request: FastifyRequest, reply: FastifyReply, flash: Flash): void {
  reply.setCookie(FLASH_COOKIE, Buffer.from(JSON.stringify(flash)).toString("base64url"), {
    ...cookieBase(request),
    maxAge: 60,
  });
}

function readFlash(request: FastifyRequest, reply: FastifyReply): Flash | null {
  const value = readSigned(request, FLASH_COOKIE);
  if (value === null || request.headers["hx-request"] === "true") return null;
  reply.clearCookie(FLASH_COOKIE, { path: "/" });
  try {
    const parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as Flash;
    return typeof parsed.message === "string" && ["success", "error", "info"].includes(parsed.kind) ? parsed : null;
  } catch {
    return null;
  }
}

const configs = new WeakMap<FastifyRequest, SessionOptions>();
function sessionConfig(request: FastifyRequest): SessionOptions {
  const found = configs.get(request);
  if (!found) throw new Error("session plugin is not registered in this context");
  return found;
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class CsrfError extends Error {
  readonly statusCode = 403;
  constructor() {
    super("The form expired or did not come from this site. Reload the page and try again.");
    this.name = "CsrfError";
  }
}

async function session(app: FastifyInstance, opts: SessionOptions): Promise<void> {
  app.decorateRequest("ui", null as unknown as UiState);

  app.addHook("onRequest", async (request, reply) => {
    configs.set(request, opts);
    const state: UiState = { db: opts.db, api: opts.api, user: null, sessionId: null, csrfToken: "", flash: null };
    request.ui = state;

    const token = readSigned(request, SESSION_COOKIE);
    if (token !== null) {
      const id = hashToken(token);
      const row = await opts.db.session.findUnique({ where: { id }, include: { user: true } });
      const now = Date.now();
      if (row && row.expiresAt.getTime() > now) {
        state.user = { id: row.user.id, email: row.user.email, tenantId: row.user.tenantId };
        state.sessionId = id;
        state.csrfToken = hmac(opts.secret, "session", token);
        if (now - row.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
          await opts.db.session.updateMany({ where: { id }, data: { lastSeenAt: new Date(now) } });
        }
      } else {
        if (row) await opts.db.session.deleteMany({ where: { id } });
        reply.clearCookie(SESSION_COOKIE, { path: "/" });
      }
    }
    if (state.user === null) {
      let guest = readSigned(request, GUEST_CSRF_COOKIE);
      if (guest === null) {
        guest = randomBytes(32).toString("base64url");
        reply.setCookie(GUEST_CSRF_COOKIE, guest, cookieBase(request));
      }
      state.csrfToken = hmac(opts.secret, "guest", guest);
    }
    state.flash = readFlash(request, reply);
  });

  // CSRF check after body parsing (the token may be a form field).
  app.addHook("preValidation", async (request) => {
    if (!UNSAFE_METHODS.has(request.method)) return;
    if (request.routeOptions.config.csrf === "signed-in" && request.ui.user === null) return;
    const body = request.body as Record<string, unknown> | null | undefined;
    const fromBody = body && typeof body === "object" ? body[CSRF_FIELD] : undefined;
    const fromHeader = request.headers[CSRF_HEADER];
    const given = typeof fromHeader === "string" ? fromHeader : typeof fromBody === "string" ? fromBody : "";
    if (given === "" || !safeEqual(given, request.ui.csrfToken)) throw new CsrfError();
  });
}

export const sessionPlugin = fp(session, { name: "btick-ui-session" });

/** Deletes expired session rows (called opportunistically at sign-in). */
export async function pruneExpiredSessions(db: Db): Promise<void> {
  await db.session.deleteMany({ where: { expiresAt: { lte: new Date() } } });
}
