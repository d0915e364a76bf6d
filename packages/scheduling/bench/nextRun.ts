// `pnpm --filter @btick/scheduling bench`: the cost of one next-run computation, as the worker does it on its hot path
// (planScheduledSlots calls nextRunAfter once or twice per claimed job).
//   cold       the first computation in a zone (for the engine: its offset tables for that stretch of time are built);
//   walk       N consecutive fire times from 2026-01-01, each computed from the previous one (a job being
//              rescheduled), timed on a second pass;
//   scattered  from N pseudo-random instants spread over 2026 (many jobs, each at its own point), second pass.
// Machine load changes the numbers: compare runs made back to back. BENCH_N sets N (default 5000).
import { nextRunAfter } from "../src/index.ts";

const CASES: [string, string][] = [
  ["*/5 * * * *", "UTC"],
  ["0 9 * * 1-5", "America/New_York"],
  ["*/10 * * * * *", "Europe/Berlin"],
  ["30 2 * * *", "America/New_York"],
  ["0 12 * * *", "Australia/Lord_Howe"],
  ["*/15 * * * *", "Australia/Sydney"],
  ["0 0 13 * 5", "Asia/Kathmandu"],
];
const START = Date.parse("2026-01-01T00:00:00Z");
const N = Number(process.env.BENCH_N ?? 5000);
const us = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(1).padStart(8)} µs`;

function safeNext(expr: string, tz: string, at: number): number {
  try {
    return nextRunAfter(expr, tz, new Date(at)).getTime();
  } catch {
    return at + 3_600_000; // an engine that throws: skip an hour and count the time spent
  }
}

console.log(`${"expression".padEnd(18)} ${"timezone".padEnd(20)} ${"cold".padStart(11)} ${"walk".padStart(11)} ${"scattered".padStart(11)}`);
const medians: number[] = [];
safeNext("* * * * *", "Etc/GMT+5", Date.parse("2000-01-01T00:00:00Z")); // loads the modules
const timed = (fn: () => void) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};
for (const [expr, tz] of CASES) {
  const cold = timed(() => safeNext(expr, tz, START));
  const walkOnce = () => {
    for (let i = 0, at = START; i < N; i++) at = safeNext(expr, tz, at);
  };
  walkOnce();
  const walk = timed(walkOnce);
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const points = Array.from({ length: N }, () => START + Math.floor(rnd() * 365 * 86_400_000));
  const scatterOnce = () => {
    for (const p of points) safeNext(expr, tz, p);
  };
  scatterOnce();
  const scattered = timed(scatterOnce);
  medians.push((scattered * 1000) / N);
  console.log(`${JSON.stringify(expr).padEnd(18)} ${tz.padEnd(20)} ${us(cold, 1)} ${us(walk, N)} ${us(scattered, N)}`);
}
medians.sort((a, b) => a - b);
console.log(`median scattered: ${(medians[Math.floor(medians.length / 2)] as number).toFixed(1)} µs per next-run computation`);
