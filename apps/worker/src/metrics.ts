// Prometheus metrics of one worker process (prom-client), in a registry of their own so that several workers in
// one process (tests) do not collide. Served by metricsServer.ts on WORKER_METRICS_PORT.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface WorkerMetrics {
  readonly registry: Registry;
  /** Finished runs by final status (success, failed, blocked_by_policy). */
  readonly runs: Counter<"status" | "trigger_type">;
  /** One observation per HTTP attempt, by outcome. */
  readonly attemptDuration: Histogram<"outcome">;
  /** Seconds between a run's scheduled_for and the start of its first request. */
  readonly scheduleLag: Histogram<"trigger_type">;
  /** Runs claimed per claim pass (0 included). */
  readonly claimBatch: Histogram;
  /** Runs of dead or stalled workers marked lost by this worker's sweeper. */
  readonly leasesRecovered: Counter;
  /** Reports the number of runs executing now at scrape time. */
  setInFlightSource(fn: () => number): void;
}

export function createWorkerMetrics(opts: { defaultMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  let inFlight: () => number = () => 0;
  new Gauge({
    name: "btick_worker_runs_in_flight",
    help: "Runs executing in this worker now.",
    registers: [registry],
    collect() {
      this.set(inFlight());
    },
  });
  return {
    registry,
    runs: new Counter({
      name: "btick_worker_runs_total",
      help: "Finished runs by final status.",
      labelNames: ["status", "trigger_type"],
      registers: [registry],
    }),
    attemptDuration: new Histogram({
      name: "btick_worker_attempt_duration_seconds",
      help: "Duration of one HTTP attempt (request and response body), by outcome.",
      labelNames: ["outcome"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
      registers: [registry],
    }),
    scheduleLag: new Histogram({
      name: "btick_worker_schedule_lag_seconds",
      help: "Delay between a run's scheduled time and the start of its first request.",
      labelNames: ["trigger_type"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
      registers: [registry],
    }),
    claimBatch: new Histogram({
      name: "btick_worker_claim_batch_size",
      help: "Runs claimed per claim pass.",
      buckets: [0, 1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
    leasesRecovered: new Counter({
      name: "btick_worker_leases_recovered_total",
      help: "Runs whose lease expired (worker died or stalled) marked lost by this worker.",
      registers: [registry],
    }),
    setInFlightSource(fn) {
      inFlight = fn;
    },
  };
}
