import type { FastifyInstance } from "fastify";

export async function apiKeyPages(_app: FastifyInstance): Promise<void> {}
