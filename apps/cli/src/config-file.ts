// The user's API settings: `$XDG_CONFIG_HOME/btick/config.json` (or `~/.config/btick/config.json`), written by
// `btick login` with 0600 permissions. BTICK_BASE_URL / BTICK_API_KEY override it.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

import { z } from "zod";

import { CliError } from "./errors.ts";

export interface ApiSettings {
  baseUrl: string;
  apiKey: string;
}

const fileSchema = z.object({ base_url: z.string().min(1), api_key: z.string().min(1) });

export function configPath(xdgConfigHome: string | undefined): string {
  return join(xdgConfigHome && xdgConfigHome.startsWith("/") ? xdgConfigHome : join(homedir(), ".config"), "btick", "config.json");
}

export function readConfigFile(path: string): Partial<ApiSettings> {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new CliError(`${path} is not valid JSON; run btick login again`);
  }
  const parsed = fileSchema.partial().safeParse(raw);
  if (!parsed.success) throw new CliError(`${path} is malformed; run btick login again`);
  return {
    ...(parsed.data.base_url ? { baseUrl: parsed.data.base_url } : {}),
    ...(parsed.data.api_key ? { apiKey: parsed.data.api_key } : {}),
  };
}

export function writeConfigFile(path: string, settings: ApiSettings): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify({ base_url: settings.baseUrl, api_key: settings.apiKey }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // also when the file existed with wider permissions
}

export function removeConfigFile(path: string): boolean {
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}

/** Normalizes and checks a base URL (`http(s)://host[:port][/prefix]`, no trailing slash). */
export function parseBaseUrl(raw: string): string {
  const value = raw.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--base-url must be an absolute URL such as http://localhost:8080, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError("--base-url must start with http:// or https://");
  return url.href.replace(/\/+$/, "");
}
