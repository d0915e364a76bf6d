#!/usr/bin/env node
// Production build of an app (run from the app's folder as its `build` script: `btick-bundle`):
// bundles src/main.ts into dist/main.js (Node 20, ESM, with a source map).
// - @btick/* workspace packages are TypeScript sources: they are compiled into the bundle, the generated Prisma
//   client included.
// - Third-party packages stay `import`s resolved from node_modules at run time (`pnpm deploy --prod` ships them), so
//   each one must be a production dependency of this app: the build fails, naming them, when one is not.
// - prisma/migrations is copied to dist/migrations; main.ts passes that directory to migrate() when it exists.
import { existsSync, readFileSync } from "node:fs";
import { cp, readdir, rm } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const appDir = `${process.cwd()}/`;
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(readFileSync(`${appDir}package.json`, "utf8"));

/** `@scope/name/sub/path` → `@scope/name`, `name/sub` → `name`. */
const packageName = (specifier) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");

/** Bundles @btick/* sources; leaves every other bare import (third-party, node:*) as an import. */
const bundleWorkspaceOnly = {
  name: "bundle-workspace-only",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind === "entry-point" || args.path.startsWith("@btick/")) return undefined;
      return { path: args.path, external: true };
    });
  },
};

await rm(`${appDir}dist`, { recursive: true, force: true });

const result = await build({
  absWorkingDir: appDir,
  entryPoints: ["./src/main.ts"],
  outfile: "dist/main.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
  plugins: [bundleWorkspaceOnly],
  // Bundled code that calls require() (CommonJS habits in a dependency's source) gets a real one.
  banner: {
    js: 'import { createRequire as __btickCreateRequire } from "node:module";\nconst require = __btickCreateRequire(import.meta.url);',
  },
});

const externals = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const imp of output.imports) {
    if (imp.external && !isBuiltin(imp.path)) externals.add(packageName(imp.path));
  }
}
const missing = [...externals].filter((name) => !pkg.dependencies?.[name]).sort();
if (missing.length > 0) {
  // Suggest the version range the workspace package that uses it already declares.
  const declared = new Map();
  for (const dir of await readdir(`${repoRoot}packages`)) {
    const manifest = `${repoRoot}packages/${dir}/package.json`;
    if (!existsSync(manifest)) continue;
    for (const [name, range] of Object.entries(JSON.parse(readFileSync(manifest, "utf8")).dependencies ?? {})) {
      if (!declared.has(name)) declared.set(name, range);
    }
  }
  const specs = missing.map((name) => (declared.has(name) ? `"${name}@${declared.get(name)}"` : name));
  console.error(
    `${pkg.name}: dist/main.js imports ${missing.join(", ")}, which ${missing.length === 1 ? "is" : "are"} not in ` +
      `this app's "dependencies" (a production image would not have ${missing.length === 1 ? "it" : "them"}).\n` +
      `Add with: pnpm add --filter ${pkg.name} ${specs.join(" ")}`,
  );
  await rm(`${appDir}dist`, { recursive: true, force: true });
  process.exit(1);
}

await cp(`${repoRoot}prisma/migrations`, `${appDir}dist/migrations`, { recursive: true });
console.log(`${pkg.name}: dist/main.js (external: ${[...externals].sort().join(", ") || "none"})`);
