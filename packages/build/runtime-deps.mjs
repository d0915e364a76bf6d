// The runtime dependencies of a bundled app, cut out of the workspace lockfile (pnpm-lock.yaml, lockfile v9).
//
// dist/main.js needs at run time only the packages it imports and cannot bundle (its externals). Installing the app's
// manifest would bring every dependency of the bundled @btick/* packages as well (Prisma's CLI, TypeScript, …), and
// installing a manifest of the externals alone would resolve their dependencies anew. So the bundler writes, next to
// the bundle, a package.json listing the externals at exact versions and a lockfile holding exactly their dependency
// graph as the workspace lockfile resolved it: `pnpm install --frozen-lockfile --prod` there installs the versions the
// tests ran with, and nothing else.
//
// Optional peer dependencies are left out unless something in the graph needs the package anyway: in the workspace,
// pnpm links e.g. @prisma/client to the `prisma` CLI and TypeScript because the workspace has them, but the client
// runs without either.

/** Splits `name@version(peer@x)(other@y(z@1))` into the name, the version and the top-level peer segments. */
export function parseSnapshotKey(key) {
  const at = key.indexOf("@", 1);
  if (at === -1) throw new Error(`not a lockfile package key: ${key}`);
  const name = key.slice(0, at);
  const rest = key.slice(at + 1);
  const open = rest.indexOf("(");
  const version = open === -1 ? rest : rest.slice(0, open);
  const peers = [];
  let depth = 0;
  let start = 0;
  for (let i = open === -1 ? rest.length : open; i < rest.length; i++) {
    if (rest[i] === "(") {
      if (depth++ === 0) start = i + 1;
    } else if (rest[i] === ")" && --depth === 0) {
      peers.push(rest.slice(start, i));
    }
  }
  return { name, version, peers };
}

const sorted = (object) => Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The lockfile and manifest dependencies for a project depending on `names` (production dependencies of the
 * workspace project `importerId`, e.g. "apps/api") at the versions the workspace lockfile resolved.
 * @returns {{ dependencies: Record<string, string>, lockfile: object }}
 */
export function runtimeLockfile(lockfile, importerId, names) {
  if (lockfile.lockfileVersion !== "9.0") throw new Error(`pnpm-lock.yaml: lockfile version ${lockfile.lockfileVersion} is not supported (9.0 expected)`);
  const importer = lockfile.importers?.[importerId];
  if (!importer) throw new Error(`pnpm-lock.yaml has no importer ${importerId} (run pnpm install)`);
  const snapshots = lockfile.snapshots ?? {};
  const packages = lockfile.packages ?? {};

  /** A dependency entry of a snapshot (`name: version`, or `alias: name@version`) → the key of its snapshot. */
  const target = (name, ref) => (snapshots[ref] ? ref : `${name}@${ref}`);
  const baseKey = (key) => {
    const { name, version } = parseSnapshotKey(key);
    return `${name}@${version}`;
  };
  const isOptionalPeer = (key, dep) => {
    const meta = packages[baseKey(key)];
    return Boolean(meta?.peerDependencies?.[dep] !== undefined && meta?.peerDependenciesMeta?.[dep]?.optional);
  };
  const edges = (key) => {
    const snapshot = snapshots[key] ?? {};
    return [
      ...Object.entries(snapshot.dependencies ?? {}).map(([dep, ref]) => ({ field: "dependencies", dep, ref })),
      ...Object.entries(snapshot.optionalDependencies ?? {}).map(([dep, ref]) => ({ field: "optionalDependencies", dep, ref })),
    ];
  };

  const roots = new Map();
  for (const name of names) {
    const entry = importer.dependencies?.[name];
    if (!entry) throw new Error(`${name} is not a production dependency of ${importerId} in pnpm-lock.yaml (run pnpm install)`);
    if (/^(link|file|workspace):/.test(entry.version)) throw new Error(`${name} (${entry.version}) is not a registry package: it must be bundled, not installed`);
    const key = target(name, entry.version);
    if (parseSnapshotKey(key).name !== name) throw new Error(`${name} is an alias (${entry.specifier}); aliases are not supported here`);
    roots.set(name, key);
  }

  // Every package reachable from the roots, not following optional peer dependencies.
  const keep = new Set();
  const stack = [...roots.values()];
  while (stack.length > 0) {
    const key = stack.pop();
    if (keep.has(key)) continue;
    if (!snapshots[key]) throw new Error(`pnpm-lock.yaml: no snapshot ${key}`);
    if (!packages[baseKey(key)]) throw new Error(`pnpm-lock.yaml: no package entry ${baseKey(key)}`);
    keep.add(key);
    for (const { dep, ref } of edges(key)) if (!isOptionalPeer(key, dep)) stack.push(target(dep, ref));
  }

  // Keys lose the peer segments of packages that are no longer installed (pnpm names a package after its peers).
  const renamed = new Map();
  const rename = (key) => {
    let out = renamed.get(key);
    if (out === undefined) {
      const { name, version, peers } = parseSnapshotKey(key);
      const kept = peers.filter((peer) => !snapshots[peer] || keep.has(peer)).map((peer) => (snapshots[peer] ? rename(peer) : peer));
      out = `${name}@${version}${kept.map((peer) => `(${peer})`).join("")}`;
      renamed.set(key, out);
    }
    return out;
  };
  /** The reference to write for a dependency: `version(peers)`, or `name@version(peers)` for an alias. */
  const reference = (dep, ref) => {
    const newKey = rename(target(dep, ref));
    return snapshots[ref] ? newKey : newKey.slice(dep.length + 1);
  };

  const outSnapshots = {};
  const outPackages = {};
  for (const key of keep) {
    const snapshot = {};
    for (const { field, dep, ref } of edges(key)) {
      if (!keep.has(target(dep, ref))) continue;
      (snapshot[field] ??= {})[dep] = reference(dep, ref);
    }
    for (const field of ["dependencies", "optionalDependencies"]) if (snapshot[field]) snapshot[field] = sorted(snapshot[field]);
    if (snapshots[key]?.optional) snapshot.optional = true;
    const newKey = rename(key);
    const previous = outSnapshots[newKey];
    if (previous && JSON.stringify(previous) !== JSON.stringify(snapshot)) {
      throw new Error(`pnpm-lock.yaml: ${newKey} has different dependencies depending on its peers; cannot cut a runtime lockfile`);
    }
    outSnapshots[newKey] = snapshot;
    outPackages[baseKey(key)] = packages[baseKey(key)];
  }

  const dependencies = {};
  const importerDependencies = {};
  for (const [name, key] of [...roots].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const { version } = parseSnapshotKey(key);
    dependencies[name] = version;
    importerDependencies[name] = { specifier: version, version: reference(name, importer.dependencies[name].version) };
  }

  return {
    dependencies,
    lockfile: {
      lockfileVersion: lockfile.lockfileVersion,
      settings: lockfile.settings,
      importers: { ".": { dependencies: importerDependencies } },
      packages: sorted(outPackages),
      snapshots: sorted(outSnapshots),
    },
  };
}
