// The tRPC endpoint (for @trpc/client and the SDK): /trpc/<procedure>, batching enabled.
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from "@trpc/server/adapters/fastify";
import type { FastifyInstance } from "fastify";

import { appRouter, createContext, type AppRouter, type SecretsOptions, type JobLimits } from "@btick/contract";
import type { Db } from "@btick/db";

export async function trpcPlugin(app: FastifyInstance, opts: { db: Db; secrets?: SecretsOptions | undefined; limits?: JobLimits | undefined }): Promise<void> {
  await app.register(fastifyTRPCPlugin, {
    prefix: "/trpc",
    trpcOptions: {
      router: appRouter,
      createContext: ({ req }) => createContext({ db: opts.db, authorization: req.headers.authorization, secrets: opts.secrets, limits: opts.limits }),
      onError({ error, path, req }) {
        if (error.code === "INTERNAL_SERVER_ERROR") req.log.error({ err: error.cause ?? error, path }, "procedure failed");
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>["trpcOptions"],
  });
}
