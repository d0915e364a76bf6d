// Plain-text tables for terminal output.

export type Cell = string | number | boolean | null | undefined;

function text(v: Cell): string {
  if (v === null || v === undefined || v === "") return "-";
  return String(v);
}

/** Columns padded to their widest cell; a header row in upper case. */
export function table(headers: string[], rows: Cell[][]): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map(text))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return `${cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")).join("\n")}\n`;
}

/** One record as `key  value` lines; objects and arrays as compact JSON. */
export function record(obj: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(obj).map((k) => k.length));
  return `${Object.entries(obj)
    .map(([k, v]) => `${k.padEnd(width)}  ${v !== null && typeof v === "object" ? JSON.stringify(v) : text(v as Cell)}`)
    .join("\n")}\n`;
}
