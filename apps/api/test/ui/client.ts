// A tiny browser stand-in for UI tests over app.inject(): keeps cookies, reads the CSRF token from the last
// page (<meta name="csrf-token">) and posts urlencoded forms with it.
import type { FastifyInstance, LightMyRequestResponse } from "fastify";

export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

export function parseSetCookies(res: LightMyRequestResponse): SetCookie[] {
  const raw = res.headers["set-cookie"];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((line) => {
    const [pair = "", ...attrs] = line.split(/;\s*/);
    const eq = pair.indexOf("=");
    const attributes: Record<string, string | true> = {};
    for (const a of attrs) {
      const i = a.indexOf("=");
      if (i === -1) attributes[a.toLowerCase()] = true;
      else attributes[a.slice(0, i).toLowerCase()] = a.slice(i + 1);
    }
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
  });
}

export function csrfFrom(html: string): string {
  const m = /<meta name="csrf-token" content="([^"]*)"/.exec(html);
  if (!m?.[1]) throw new Error("no csrf-token meta tag in the page");
  return m[1];
}

export type Form = Record<string, string | string[]>;

export function encodeForm(form: Form): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const item of Array.isArray(v) ? v : [v]) p.append(k, item);
  return p.toString();
}

export class UiClient {
  readonly cookies = new Map<string, string>();
  csrf = "";

  constructor(private readonly app: FastifyInstance) {}

  private remember(res: LightMyRequestResponse): void {
    for (const c of parseSetCookies(res)) {
      const expired = c.value === "" || (typeof c.attributes.expires === "string" && Date.parse(c.attributes.expires) <= Date.now());
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    if (typeof res.headers["content-type"] === "string" && res.headers["content-type"].startsWith("text/html")) {
      const m = /<meta name="csrf-token" content="([^"]*)"/.exec(res.body);
      if (m?.[1]) this.csrf = m[1];
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: "GET", url, headers: { cookie: this.cookieHeader(), ...headers } });
    this.remember(res);
    return res;
  }

  /** POSTs a form with the current CSRF token (unless `_csrf` is given or `csrf: false`). */
  async post(url: string, form: Form = {}, opts: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
    const body = opts.csrf === false || "_csrf" in form ? form : { _csrf: this.csrf, ...form };
    const res = await this.app.inject({
      method: "POST",
      url,
      headers: { cookie: this.cookieHeader(), "content-type": "application/x-www-form-urlencoded", ...opts.headers },
      payload: encodeForm(body),
    });
    this.remember(res);
    return res;
  }

  /** Registers (GET /register for the CSRF token, then POST) and returns the final response. */
  async register(email: string, password: string): Promise<LightMyRequestResponse> {
    await this.get("/register");
    return this.follow(await this.post("/register", { email, password }));
  }

  async login(email: string, password: string): Promise<LightMyRequestResponse> {
    await this.get("/login");
    return this.follow(await this.post("/login", { email, password }));
  }

  /** After a 303, loads the target page (as a browser would, picking up its CSRF token); returns `res`. */
  async follow(res: LightMyRequestResponse): Promise<LightMyRequestResponse> {
    if (res.statusCode === 303 && typeof res.headers.location === "string") await this.get(res.headers.location);
    return res;
  }
}

let counter = 0;
export const uniqueEmail = (tag = "user") => `${tag}-${process.pid}-${Date.now()}-${++counter}@example.test`;
