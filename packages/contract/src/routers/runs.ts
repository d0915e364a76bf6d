import { runEnvelopeOutput, runIdInput, runListInput, runListOutput } from "../schemas/runs.ts";
import { getRun, listRuns } from "../services/runs.ts";
import { scopedProcedure } from "../trpc.ts";

const tags = ["runs"];

export const runsRouter = {
  list: scopedProcedure("runs:read")
    .meta({ openapi: { method: "GET", path: "/jobs/{jobId}/runs", tags, summary: "List a job's runs, newest first", protect: true } })
    .input(runListInput)
    .output(runListOutput)
    .query(({ ctx, input }) => listRuns(ctx.db, ctx.principal.tenantId, input, ctx.secrets.isSecretHeader)),

  get: scopedProcedure("runs:read")
    .meta({ openapi: { method: "GET", path: "/runs/{runId}", tags, summary: "Get a run with its attempts", protect: true } })
    .input(runIdInput)
    .output(runEnvelopeOutput)
    .query(async ({ ctx, input }) => ({ run: await getRun(ctx.db, ctx.principal.tenantId, input.runId, ctx.secrets.isSecretHeader) })),
};
