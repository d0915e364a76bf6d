import { z } from "zod";

import {
  jobCreatedOutput,
  jobCreateInput,
  jobEnvelopeOutput,
  jobIdInput,
  jobListInput,
  jobListOutput,
  jobRotateSigningSecretInput,
  jobRotateSigningSecretOutput,
  jobTriggerOutput,
  jobUpdateInput,
} from "../schemas/jobs.ts";
import { schedulePreviewInput, schedulePreviewOutput } from "../schemas/schedule.ts";
import { createJob, deleteJob, getJob, listJobs, pauseJob, resumeJob, rotateSigningSecret, triggerJob, updateJob } from "../services/jobs.ts";
import { checkJobPolicy } from "../services/limits.ts";
import { previewSchedule } from "../services/schedule.ts";
import { scopedProcedure } from "../trpc.ts";

const tags = ["jobs"];

export const jobsRouter = {
  create: scopedProcedure("jobs:write")
    .meta({
      openapi: { method: "POST", path: "/jobs", tags, summary: "Create a job", protect: true, successDescription: "Created" },
      successStatus: 201,
    })
    .input(jobCreateInput)
    .output(jobCreatedOutput)
    .mutation(async ({ ctx, input }) => {
      checkJobPolicy(input, ctx.limits);
      return createJob(ctx.db, ctx.principal, input, ctx.secrets, ctx.limits);
    }),

  list: scopedProcedure("jobs:read")
    .meta({ openapi: { method: "GET", path: "/jobs", tags, summary: "List jobs, newest first", protect: true } })
    .input(jobListInput)
    .output(jobListOutput)
    .query(({ ctx, input }) => listJobs(ctx.db, ctx.principal.tenantId, input, ctx.secrets)),

  get: scopedProcedure("jobs:read")
    .meta({ openapi: { method: "GET", path: "/jobs/{jobId}", tags, summary: "Get a job", protect: true } })
    .input(jobIdInput)
    .output(jobEnvelopeOutput)
    .query(async ({ ctx, input }) => ({ job: await getJob(ctx.db, ctx.principal.tenantId, input.jobId, ctx.secrets) })),

  update: scopedProcedure("jobs:write")
    .meta({ openapi: { method: "PATCH", path: "/jobs/{jobId}", tags, summary: "Update a job (JSON merge patch)", protect: true } })
    .input(jobUpdateInput)
    .output(jobEnvelopeOutput)
    .mutation(async ({ ctx, input }) => {
      const { jobId, ...patch } = input;
      checkJobPolicy(patch, ctx.limits);
      return { job: await updateJob(ctx.db, ctx.principal.tenantId, jobId, patch, ctx.secrets) };
    }),

  delete: scopedProcedure("jobs:delete")
    .meta({ openapi: { method: "DELETE", path: "/jobs/{jobId}", tags, summary: "Delete a job with its runs", protect: true } })
    .input(jobIdInput)
    .output(z.object({ message: z.literal("job deleted") }))
    .mutation(async ({ ctx, input }) => {
      await deleteJob(ctx.db, ctx.principal.tenantId, input.jobId);
      return { message: "job deleted" as const };
    }),

  pause: scopedProcedure("jobs:write")
    .meta({ openapi: { method: "POST", path: "/jobs/{jobId}/pause", tags, summary: "Pause a job", protect: true } })
    .input(jobIdInput)
    .output(jobEnvelopeOutput)
    .mutation(async ({ ctx, input }) => ({ job: await pauseJob(ctx.db, ctx.principal.tenantId, input.jobId, ctx.secrets) })),

  resume: scopedProcedure("jobs:write")
    .meta({ openapi: { method: "POST", path: "/jobs/{jobId}/resume", tags, summary: "Resume a job from the next slot", protect: true } })
    .input(jobIdInput)
    .output(jobEnvelopeOutput)
    .mutation(async ({ ctx, input }) => ({ job: await resumeJob(ctx.db, ctx.principal.tenantId, input.jobId, ctx.secrets) })),

  trigger: scopedProcedure("jobs:trigger")
    .meta({
      openapi: { method: "POST", path: "/jobs/{jobId}/trigger", tags, summary: "Run a job now (also when paused)", protect: true, successDescription: "Accepted" },
      successStatus: 202,
    })
    .input(jobIdInput)
    .output(jobTriggerOutput)
    .mutation(async ({ ctx, input }) => {
      const { trigger_id } = await triggerJob(ctx.db, ctx.principal, input.jobId);
      return { message: "manual trigger accepted", trigger_id };
    }),

  /**
   * Describes a cron expression in a timezone and lists its next 5 fire times. An unacceptable schedule is not an
   * error: the answer has `valid: false` with the field and the message job validation would give.
   */
  previewSchedule: scopedProcedure("jobs:read")
    .meta({
      openapi: { method: "POST", path: "/schedule/preview", tags, summary: "Describe a cron schedule and list its next 5 fire times", protect: true },
    })
    .input(schedulePreviewInput)
    .output(schedulePreviewOutput)
    .mutation(({ ctx, input }) => previewSchedule(input, new Date(), ctx.limits)),
  rotateSigningSecret: scopedProcedure("jobs:write")
    .meta({
      openapi: {
        method: "POST",
        path: "/jobs/{jobId}/rotate-signing-secret",
        tags,
        summary: "Replace the signing secret (the old one keeps signing during a grace window)",
        protect: true,
      },
    })
    .input(jobRotateSigningSecretInput)
    .output(jobRotateSigningSecretOutput)
    .mutation(({ ctx, input }) => rotateSigningSecret(ctx.db, ctx.principal.tenantId, input, ctx.secrets)),
};
