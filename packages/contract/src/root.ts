import { apiKeysRouter } from "./routers/apiKeys.ts";
import { healthRouter } from "./routers/health.ts";
import { jobsRouter } from "./routers/jobs.ts";
import { runsRouter } from "./routers/runs.ts";
import { router } from "./trpc.ts";

export const appRouter = router({
  health: router(healthRouter),
  jobs: router(jobsRouter),
  runs: router(runsRouter),
  apiKeys: router(apiKeysRouter),
});

export type AppRouter = typeof appRouter;
