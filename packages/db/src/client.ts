import { PrismaPg } from "@prisma/adapter-pg";

import { PrismaClient } from "./generated/prisma/client.ts";

export interface DbOptions {
  connectionString: string;
  /** Size of the pg pool behind the client. */
  max?: number;
  /** application_name shown in pg_stat_activity (lets operators and tests find a process's sessions). */
  applicationName?: string;
}

export function createPrismaClient(options: DbOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName,
  });
  return new PrismaClient({ adapter });
}

export type Db = PrismaClient;
