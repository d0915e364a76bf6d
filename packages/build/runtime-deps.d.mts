// Types of runtime-deps.mjs (for the tests that call it from TypeScript).

export interface SnapshotKey {
  name: string;
  version: string;
  /** Top-level peer segments: `name@version(…)`. */
  peers: string[];
}

/** Splits `name@version(peer@x)(other@y(z@1))` into the name, the version and the top-level peer segments. */
export function parseSnapshotKey(key: string): SnapshotKey;

/** The parts of a pnpm lockfile (v9) that runtimeLockfile reads and writes. */
export interface PnpmLockfile {
  lockfileVersion: string;
  settings?: Record<string, unknown>;
  importers: Record<string, { dependencies?: Record<string, { specifier: string; version: string }> }>;
  packages?: Record<string, { peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> }>;
  snapshots?: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; optional?: boolean }>;
}

/**
 * The lockfile and manifest dependencies for a project depending on `names` (production dependencies of the
 * workspace project `importerId`, e.g. "apps/api") at the versions the workspace lockfile resolved.
 */
export function runtimeLockfile(
  lockfile: PnpmLockfile,
  importerId: string,
  names: readonly string[],
): { dependencies: Record<string, string>; lockfile: PnpmLockfile };
