// Prisma CLI configuration. The apps never read this file: they get DATABASE_URL from
// @btick/config and apply migrations themselves (packages/db/src/migrate.ts).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "./schema.prisma",
  migrations: { path: "./migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/btick" },
});
