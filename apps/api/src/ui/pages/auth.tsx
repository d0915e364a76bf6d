import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

import type { ThrottleOptions } from "../../plugins/ui.ts";

export async function authPages(_app: FastifyInstance, _opts: { throttle: ThrottleOptions }): Promise<void> {}

export async function renderLoginThrottled(_request: FastifyRequest, reply: FastifyReply, message: string): Promise<FastifyReply> {
  return reply.status(429).send(message);
}
