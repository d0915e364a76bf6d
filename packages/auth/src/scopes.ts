/** The seven API scopes (as in the original). Each operation requires exactly one of them. */
export const SCOPES = [
  "jobs:read",
  "jobs:write",
  "jobs:delete",
  "jobs:trigger",
  "runs:read",
  "keys:read",
  "keys:write",
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}
