// `pnpm start`: the embedded PostgreSQL (or DATABASE_URL), the API and the worker; see stack.ts.
import { runStack } from "./stack.ts";

runStack();
