import { z } from "zod";

import { publicProcedure } from "../trpc.ts";

export const healthRouter = {
  check: publicProcedure
    .meta({ openapi: { method: "GET", path: "/health", tags: ["health"], summary: "Liveness of the API (no auth, no database check)", protect: false } })
    .input(z.void())
    .output(z.object({ status: z.literal("ok") }))
    .query(() => ({ status: "ok" as const })),
};
