import type { FastifyInstance } from "fastify";

export async function homePages(_app: FastifyInstance): Promise<void> {}
