// Human descriptions of the API scopes, for the key form and list.
import type { Scope } from "@btick/auth";

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  "jobs:read": "List and view jobs",
  "jobs:write": "Create, edit, pause and resume jobs",
  "jobs:delete": "Delete jobs",
  "jobs:trigger": "Start a run now (manual trigger)",
  "runs:read": "View runs, attempts and responses",
  "keys:read": "List API keys",
  "keys:write": "Create and revoke API keys",
};

/** Pre-selected on the new-key form: enough to manage and run jobs, nothing destructive or key-related. */
export const DEFAULT_KEY_SCOPES: readonly Scope[] = ["jobs:read", "jobs:write", "jobs:trigger", "runs:read"];
