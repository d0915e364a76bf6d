// The published package.json. In the workspace the manifest points at the sources (`exports: ./src/index.ts`,
// read by tsx and the CLI without a build) and lists workspace packages as `link:` devDependencies; neither may
// reach the registry. `prepack` (run by both `npm pack` and `pnpm pack`, and by `publish`) saves the workspace
// manifest and writes the published one; `postpack` puts the workspace manifest back.
//
//   tsx scripts/publish-manifest.ts prepack|postpack
//
// The published manifest: `publishConfig.exports/main/types` become the top-level fields (dist only),
// `catalog:` versions are resolved from pnpm-workspace.yaml, and devDependencies and scripts are dropped (npm and
// pnpm run `postpack` from the manifest they read before `prepack`).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

type Manifest = Record<string, unknown> & {
  dependencies?: Record<string, string>;
  publishConfig?: Record<string, unknown>;
  scripts?: Record<string, string>;
};

const MANIFEST = fileURLToPath(new URL("../package.json", import.meta.url));
const SAVED = fileURLToPath(new URL("../.cache/package.workspace.json", import.meta.url));
const WORKSPACE_YAML = fileURLToPath(new URL("../../../pnpm-workspace.yaml", import.meta.url));

/** Fields `publishConfig` replaces in the published manifest (pnpm applies the same ones itself). */
const HOISTED = ["exports", "main", "types"] as const;

/** The `catalog:` section of pnpm-workspace.yaml (`name: range` lines). */
export function readCatalog(yaml = readFileSync(WORKSPACE_YAML, "utf8")): Record<string, string> {
  const catalog: Record<string, string> = {};
  let inCatalog = false;
  for (const line of yaml.split("\n")) {
    if (/^\S/.test(line)) inCatalog = /^catalog:\s*$/.test(line);
    else if (inCatalog) {
      const m = /^\s+("([^"]+)"|'([^']+)'|[^\s:#][^:]*):\s*("?)([^"#\s]+)\4\s*(#.*)?$/.exec(line);
      const name = m?.[2] ?? m?.[3] ?? m?.[1];
      if (name && m?.[5]) catalog[name] = m[5];
    }
  }
  return catalog;
}

/** The manifest as published, from the workspace manifest. Throws on a specifier the registry cannot resolve. */
export function publishedManifest(workspace: Manifest, catalog: Record<string, string>): Manifest {
  const { devDependencies: _dev, scripts: _scripts, publishConfig = {}, ...rest } = workspace;
  const out: Manifest = {};
  // Same key order as the workspace manifest, the hoisted fields where `exports` was.
  for (const [key, value] of Object.entries(rest)) {
    if (key === "exports") for (const h of HOISTED) out[h] = publishConfig[h] ?? rest[h];
    else if (!(HOISTED as readonly string[]).includes(key)) out[key] = value;
  }
  const remaining = Object.fromEntries(Object.entries(publishConfig).filter(([k]) => !(HOISTED as readonly string[]).includes(k)));
  if (Object.keys(remaining).length > 0) out.publishConfig = remaining;
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"] as const) {
    const deps = workspace[field] as Record<string, string> | undefined;
    if (!deps) continue;
    out[field] = Object.fromEntries(
      Object.entries(deps).map(([name, spec]) => {
        const resolved = spec === "catalog:" || spec === "catalog:default" ? catalog[name] : spec;
        if (!resolved || /^(catalog|workspace|link|file):/.test(resolved)) {
          throw new Error(`${field}.${name}: "${spec}" cannot be published (resolve it to a version range)`);
        }
        return [name, resolved];
      }),
    );
  }
  return out;
}

function prepack(): void {
  // A pack that failed before postpack left the published manifest in place: start from the saved one.
  if (existsSync(SAVED)) renameSync(SAVED, MANIFEST);
  const text = readFileSync(MANIFEST, "utf8");
  const published = publishedManifest(JSON.parse(text) as Manifest, readCatalog());
  mkdirSync(fileURLToPath(new URL("../.cache/", import.meta.url)), { recursive: true });
  writeFileSync(SAVED, text);
  writeFileSync(MANIFEST, `${JSON.stringify(published, null, 2)}\n`);
}

function postpack(): void {
  if (existsSync(SAVED)) renameSync(SAVED, MANIFEST);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const command = process.argv[2];
  if (command === "prepack") prepack();
  else if (command === "postpack") postpack();
  else throw new Error("usage: publish-manifest.ts prepack|postpack");
}
