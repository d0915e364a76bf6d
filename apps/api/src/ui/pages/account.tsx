import type { FastifyInstance } from "fastify";

export async function accountPages(_app: FastifyInstance): Promise<void> {}
