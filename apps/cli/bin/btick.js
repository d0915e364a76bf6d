#!/usr/bin/env node
// The `btick` binary: loads the TypeScript sources through tsx, so no build step is needed in the workspace.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
