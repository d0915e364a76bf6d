export { createPrismaClient, isDatabaseTimeout, type Db, type DbOptions } from "./client.ts";
export { migrate, defaultMigrationsDir } from "./migrate.ts";
export { Prisma, PrismaClient } from "./generated/prisma/client.ts";
export type * from "./generated/prisma/models.ts";
