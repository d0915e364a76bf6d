// Summarizes .cpuprofile files (from `node --cpu-prof`, e.g. BENCH_CPU_PROF=1 pnpm bench): self time per function
// and per package/file, and inclusive time of the project's own functions (apps/, packages/), heaviest first. Usage: node --import tsx apps/worker/bench/profile.ts <file.cpuprofile>...
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (!url) return "(native/gc/idle)";
  const pnpm = /node_modules\/\.pnpm\/([^/]+)\//.exec(url);
  if (pnpm) return (pnpm[1] as string).replace(/@[\d.]+.*$/, "").replace(/\+/g, "/");
  if (url.startsWith("node:")) return url;
  const local = /\/(apps|packages)\/(.+)$/.exec(url);
  return local ? `${local[1]}/${local[2]}` : url;
}

for (const file of process.argv.slice(2)) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id) as ProfileNode;
    const name = n.callFrame.functionName || "(anonymous)";
    const w = where(n.callFrame.url);
    fn.set(`${name}  ${w}:${n.callFrame.lineNumber + 1}`, (fn.get(`${name}  ${w}:${n.callFrame.lineNumber + 1}`) ?? 0) + us);
    const key = n.callFrame.url ? w : name;
    pkg.set(key, (pkg.get(key) ?? 0) + us);
  }
  // Inclusive time of project functions: a sample counts once for every distinct project function on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur) as ProfileNode;
      const w = where(n.callFrame.url);
      if (!/^(apps|packages)\//.test(w) || w.includes("/generated/")) continue;
      const key = `${n.callFrame.functionName || "(anonymous)"}  ${w}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`)
      .join("\n");
  process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\nby package/file:\n${top(pkg, 20)}\nby function:\n${top(fn, 25)}\ninclusive, project functions:\n${top(inclusive, 25)}\n\n`);
}
