// Static assets of the web UI, served by the API itself (no CDN):
//   /assets/app.css     Tailwind output built by `pnpm build` into dist/public/app.css (empty stylesheet if missing)
//   /assets/htmx.min.js htmx 2 from node_modules
//   /assets/ui.js       the few lines of client code below (copy buttons)
// URLs carry ?v=<content hash>, so responses are cacheable for a year.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

import type { FastifyInstance } from "fastify";

/**
 * Copy buttons: <button data-copy-target="element id">; the label switches to "Copied" for a moment.
 * Focus after htmx swaps: when a swap removed the focused control (focus fell back to <body>), the element marked
 * data-focus-after-swap (e.g. the notice after a delete) takes the focus.
 */
const UI_JS = `"use strict";
document.addEventListener("htmx:afterSettle", function () {
  var active = document.activeElement;
  if (active && active !== document.body) return;
  var next = document.querySelector("[data-focus-after-swap]");
  if (!next) return;
  next.removeAttribute("data-focus-after-swap");
  next.focus();
});
document.addEventListener("click", function (event) {
  var button = event.target instanceof Element ? event.target.closest("[data-copy-target]") : null;
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy-target"));
  if (!source) return;
  var text = "value" in source ? source.value : source.textContent;
  var done = function () {
    var label = button.getAttribute("data-copied-label") || "Copied";
    var original = button.textContent;
    button.textContent = label;
    setTimeout(function () { button.textContent = original; }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
  } else {
    selectText(source);
    try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected for manual copying */ }
  }
});
function selectText(el) {
  if ("select" in el) { el.focus(); el.select(); return; }
  var range = document.createRange();
  range.selectNodeContents(el);
  var sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
}
`;

/** dist/public/app.css next to the bundle (dist/main.js) or, from sources, apps/api/dist/public/app.css. */
function cssCandidates(): string[] {
  return [new URL("./public/app.css", import.meta.url), new URL("../../dist/public/app.css", import.meta.url)].map((u) => fileURLToPath(u));
}

function loadCss(): string | null {
  for (const path of cssCandidates()) if (existsSync(path)) return readFileSync(path, "utf8");
  return null;
}

function loadHtmx(): string {
  return readFileSync(createRequire(import.meta.url).resolve("htmx.org/dist/htmx.min.js"), "utf8");
}

const shortHash = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);

const htmxSource = loadHtmx();
let cssSource = loadCss();

/** Changes whenever an asset changes (cache busting). */
export let ASSET_VERSION = shortHash(`${htmxSource}\n${UI_JS}\n${cssSource ?? ""}`);

/**
 * Development only (the server running from its TypeScript sources, e.g. `pnpm start`): rebuilds
 * dist/public/app.css with the Tailwind CLI so the pages are styled without a separate `pnpm build`. Returns an
 * error message instead of throwing; the UI then works unstyled.
 */
export function buildDevCss(): string | null {
  const appDir = fileURLToPath(new URL("../../", import.meta.url));
  const result = spawnSync(
    process.execPath,
    [fileURLToPath(new URL("node_modules/@tailwindcss/cli/dist/index.mjs", `file://${appDir}`)), "-i", "src/app.css", "-o", "dist/public/app.css", "--minify"],
    { cwd: appDir, encoding: "utf8", timeout: 60_000 },
  );
  if (result.status !== 0) return (result.stderr || result.error?.message || "tailwindcss failed").trim();
  cssSource = loadCss();
  ASSET_VERSION = shortHash(`${htmxSource}\n${UI_JS}\n${cssSource ?? ""}`);
  return null;
}

const LONG_CACHE = "public, max-age=31536000, immutable";

export async function assetsPlugin(app: FastifyInstance): Promise<void> {
  app.get("/assets/app.css", async (_req, reply) => {
    // Built after the server started (dev): pick it up; tests without a build get an empty stylesheet.
    cssSource ??= loadCss();
    return reply
      .type("text/css; charset=utf-8")
      .header("cache-control", cssSource === null ? "no-cache" : LONG_CACHE)
      .send(cssSource ?? "/* app.css not built: run `pnpm --filter @btick/api build` */\n");
  });
  app.get("/assets/htmx.min.js", async (_req, reply) =>
    reply.type("text/javascript; charset=utf-8").header("cache-control", LONG_CACHE).send(htmxSource),
  );
  app.get("/assets/ui.js", async (_req, reply) => reply.type("text/javascript; charset=utf-8").header("cache-control", LONG_CACHE).send(UI_JS));
}
