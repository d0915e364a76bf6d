#!/usr/bin/env node
// Production build of an app (run from the app's folder as its `build` script: `btick-bundle [--outdir dist]`):
// bundles src/main.ts into dist/main.js (Node 20, ESM, with a source map), so that a production image needs next to it
// only the few packages that cannot be bundled.
// - Everything is compiled into the bundle: @btick/* workspace sources (the generated Prisma client included) and
//   third-party packages, Prisma's query compiler (WebAssembly, as base64) included.
// - Left out, and installed at run time: RUNTIME_PACKAGES (native addons), and packages whose files the code locates
//   at run time (`createRequire(import.meta.url).resolve("htmx.org/dist/htmx.min.js")`). These are the bundle's
//   externals; each must be a production dependency of the app (the build fails, naming them, when one is not).
// - dist/package.json lists exactly the externals, at the versions pnpm-lock.yaml resolved for this app, and
//   dist/pnpm-lock.yaml holds their dependency graph cut out of the workspace lockfile (./runtime-deps.mjs): an image
//   installs its node_modules with `pnpm install --frozen-lockfile --prod` from these two files. dist/package.json
//   also makes dist/main.js an ES module.
// - The build fails when a bundled package looks itself up at run time (its own files, a computed require()) and was
//   not reviewed (REVIEWED_RUNTIME_LOOKUPS): once bundled, "its own files" would be looked for in dist/.
// - prisma/migrations is copied to dist/migrations; main.ts passes that directory to migrate() when it exists.
import { existsSync, readFileSync } from "node:fs";
import { cp, readdir, rm, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";
import { parse, stringify } from "yaml";

import { parseSnapshotKey, runtimeLockfile } from "./runtime-deps.mjs";

const { values: args } = parseArgs({ options: { outdir: { type: "string", default: "dist" } } });
const appDir = `${process.cwd()}/`;
const outDir = resolve(appDir, args.outdir);
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(readFileSync(`${appDir}package.json`, "utf8"));

/** `@scope/name/sub/path` → `@scope/name`, `name/sub` → `name`. */
const packageName = (specifier) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
const isBare = (specifier) => !/^[./#<]/.test(specifier) && !specifier.startsWith("node:") && !isBuiltin(specifier);

/**
 * Third-party packages left out of the bundle and installed next to it (dist/package.json), with the reason: esbuild
 * cannot bundle them. A package with a native addon makes the build fail ("No loader is configured for .node
 * files") until it is listed here.
 */
const RUNTIME_PACKAGES = new Map([
  ["@node-rs/argon2", "a native addon: it loads the prebuilt binary for the platform from an optional dependency"],
]);

/** Modules that a bundled package requires only on request, and that are never installed. */
const ABSENT_MODULES = new Map([["pg-native", "pg's native driver, loaded only through pg.native, which nothing uses"]]);

/**
 * Bundled third-party packages whose code looks itself up at run time: it refers to its own location (__dirname,
 * __filename, import.meta.url, require.resolve), which becomes dist/ once bundled, or calls require() with a computed
 * name. Each was reviewed, with the reason it is harmless; an unreviewed one fails the build.
 */
const REVIEWED_RUNTIME_LOOKUPS = new Map([
  ["fastify", "lib/plugin-utils.js reads require.cache to name plugins in error messages"],
  ["pino", "lib/transport.js loads transports and its worker file, and @btick/logging uses no transport"],
  ["thread-stream", "the worker thread behind pino's transports (unused, see pino)"],
  ["undici", "reads __filename only when it is defined, to shorten stack traces"],
]);
const LOCATION_USE = /\b__dirname\b|\b__filename\b|\bimport\.meta\.(?:url|dirname|filename|resolve)\b|\brequire\.resolve\s*\(/;

/** Keeps RUNTIME_PACKAGES and ABSENT_MODULES out of the bundle; everything else (@btick/* and third-party) goes in. */
const bundleAllButRuntimePackages = {
  name: "bundle-all-but-runtime-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind === "entry-point" || !isBare(args.path)) return undefined;
      const name = packageName(args.path);
      return RUNTIME_PACKAGES.has(name) || ABSENT_MODULES.has(name) ? { path: args.path, external: true } : undefined;
    });
  },
};

/**
 * Packages the code locates at run time rather than imports: `require.resolve("x/…")`,
 * `createRequire(…).resolve("x/…")`, `import.meta.resolve("x/…")` with a literal specifier.
 */
function resolvedAtRunTime(code) {
  const names = new Set();
  const call = /\b(?:require|\w*createRequire\w*\([^()]*\)|import\.meta)\.resolve\(\s*(["'`])([^"'`]+)\1/gi;
  for (const m of code.matchAll(call)) if (isBare(m[2])) names.add(packageName(m[2]));
  return names;
}

const fail = async (message) => {
  console.error(message);
  await rm(outDir, { recursive: true, force: true });
  process.exit(1);
};

await rm(outDir, { recursive: true, force: true });

const result = await build({
  absWorkingDir: appDir,
  entryPoints: ["./src/main.ts"],
  outfile: `${outDir}/main.js`,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Stack traces map to the sources (the images set NODE_OPTIONS=--enable-source-maps); embedding the sources of every
  // bundled package in the map would cost ~50 MB of memory per process for nothing.
  sourcemap: true,
  sourcesContent: false,
  metafile: true,
  write: true,
  logLevel: "warning",
  plugins: [bundleAllButRuntimePackages],
  // Bundled code that calls require() (CommonJS habits in a dependency's source) gets a real one.
  banner: {
    js: 'import { createRequire as __btickCreateRequire } from "node:module";\nconst require = __btickCreateRequire(import.meta.url);',
  },
});

// The externals: name → workspace folders (relative to the repository root) whose code uses it.
const externals = new Map();
const use = (name, folder) => {
  if (!externals.has(name)) externals.set(name, new Set());
  externals.get(name).add(folder);
};
const lockfile = parse(readFileSync(`${repoRoot}pnpm-lock.yaml`, "utf8"));
const appImporter = relative(repoRoot, appDir).replace(/\\/g, "/");
const repoPath = (file) => relative(repoRoot, resolve(appDir, file)).replace(/\\/g, "/");
const workspaceFolder = (file) =>
  Object.keys(lockfile.importers)
    .filter((id) => id !== "." && repoPath(file).startsWith(`${id}/`))
    .sort((a, b) => b.length - a.length)[0] ?? appImporter;
/** The package a bundled file belongs to when it comes from node_modules, else undefined. */
const thirdParty = (file) => {
  const path = repoPath(file);
  const at = path.lastIndexOf("node_modules/");
  return at === -1 ? undefined : packageName(path.slice(at + "node_modules/".length));
};

const unexpected = new Set();
const unreviewed = new Map();
for (const [file, input] of Object.entries(result.metafile.inputs)) {
  const owner = thirdParty(file);
  const review = (what) => {
    if (!owner || REVIEWED_RUNTIME_LOOKUPS.has(owner)) return;
    if (!unreviewed.has(owner)) unreviewed.set(owner, []);
    unreviewed.get(owner).push(`${repoPath(file)} (${what})`);
  };
  for (const imp of input.imports) {
    if (imp.path === "<runtime>") review("require with a computed name");
    if (!imp.external || !isBare(imp.path) || ABSENT_MODULES.has(packageName(imp.path))) continue;
    if (!RUNTIME_PACKAGES.has(packageName(imp.path))) unexpected.add(`${packageName(imp.path)} (imported by ${repoPath(file)})`);
    use(packageName(imp.path), thirdParty(file) ? appImporter : workspaceFolder(file));
  }
  if (owner && /\.[cm]?js$/.test(file) && LOCATION_USE.test(readFileSync(resolve(appDir, file), "utf8"))) {
    review("its own location");
  }
}
for (const name of resolvedAtRunTime(readFileSync(`${outDir}/main.js`, "utf8"))) use(name, appImporter);

if (unexpected.size > 0) {
  await fail(
    `${pkg.name}: esbuild left ${[...unexpected].join(", ")} out of dist/main.js (it could not resolve it: a require() ` +
      `inside try?). List it in RUNTIME_PACKAGES (installed in the image) or ABSENT_MODULES in packages/build/bundle-app.mjs.`,
  );
}
if (unreviewed.size > 0) {
  const list = [...unreviewed].map(([name, files]) => `  ${name}: ${files.join(", ")}`).join("\n");
  await fail(
    `${pkg.name}: bundled packages look themselves up at run time (their location, which becomes dist/ once bundled, ` +
      `or a require() with a computed name):\n${list}\nIf the code loads files or modules of its package at run time, ` +
      `keep the package out of the bundle (RUNTIME_PACKAGES); if not, list it in REVIEWED_RUNTIME_LOOKUPS with the reason ` +
      `(packages/build/bundle-app.mjs).`,
  );
}

const missing = [...externals.keys()].filter((name) => !pkg.dependencies?.[name]).sort();
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
  await fail(
    `${pkg.name}: dist/main.js imports ${missing.join(", ")}, which ${missing.length === 1 ? "is" : "are"} not in ` +
      `this app's "dependencies" (a production image would not have ${missing.length === 1 ? "it" : "them"}).\n` +
      `Add with: pnpm add --filter ${pkg.name} ${specs.join(" ")}`,
  );
}

// A workspace package's code must run against the version its own tests use: the one the image installs.
const versionIn = (importer, name) => {
  const ref = lockfile.importers[importer]?.dependencies?.[name]?.version;
  return ref === undefined ? undefined : parseSnapshotKey(`${name}@${ref}`).version;
};
const skew = [];
for (const [name, folders] of externals) {
  const shipped = versionIn(appImporter, name);
  for (const folder of folders) {
    const used = versionIn(folder, name);
    if (used !== undefined && used !== shipped) skew.push(`${name}: ${folder} uses ${used}, ${appImporter} ships ${shipped}`);
  }
}
if (skew.length > 0) {
  await fail(`${pkg.name}: pnpm-lock.yaml resolves some externals of dist/main.js to different versions:\n  ${skew.join("\n  ")}\nAlign the version ranges, then pnpm install.`);
}

let runtime;
try {
  runtime = runtimeLockfile(lockfile, appImporter, [...externals.keys()].sort());
} catch (error) {
  await fail(`${pkg.name}: ${error.message}`);
}
const manifest = {
  name: `${pkg.name}-dist`,
  private: true,
  description: `${pkg.name}'s bundle and its runtime dependencies (written by btick-bundle; install with pnpm install --frozen-lockfile --prod)`,
  type: "module",
  dependencies: runtime.dependencies,
};
await writeFile(`${outDir}/package.json`, `${JSON.stringify(manifest, null, 2)}\n`);
await writeFile(`${outDir}/pnpm-lock.yaml`, stringify(runtime.lockfile, { lineWidth: 0, singleQuote: true }));

await cp(`${repoRoot}prisma/migrations`, `${outDir}/migrations`, { recursive: true });
console.log(`${pkg.name}: ${relative(appDir, outDir)}/main.js (external: ${Object.keys(runtime.dependencies).join(", ") || "none"})`);
