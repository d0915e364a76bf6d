// Data tables that scroll sideways on narrow screens. Every table of the UI uses it: the scrolling box is
// position:relative, so visually hidden (sr-only, absolutely positioned) captions and headers stay inside it
// instead of widening the page. Long unbroken values in cells should wrap (`wrap-anywhere`).
//   <Table columns={["Name", "State", { label: "Actions", srOnly: true }]}>
//     {rows.map((r) => <tr><Td><span safe>{r.name}</span></Td>…</tr>)}
//   </Table>
import type { PropsWithChildren } from "@kitajs/html";

export type Column = string | { label: string; srOnly?: boolean; class?: string };

export interface TableProps {
  columns: Column[];
  id?: string;
  caption?: string;
  /** false: no card frame of its own (inside a Section or another card). Default true. */
  framed?: boolean;
  /** Extra classes of the header row (e.g. smaller uppercase labels). */
  headClass?: string;
}

export function Table({ columns, children, id, caption, framed = true, headClass }: PropsWithChildren<TableProps>): JSX.Element {
  return (
    <div class={`relative overflow-x-auto ${framed ? "rounded-lg bg-white shadow-sm ring-1 ring-slate-200" : ""}`} id={id}>
      <table class="min-w-full divide-y divide-slate-200 text-sm">
        {caption ? (
          <caption class="sr-only" safe>
            {caption}
          </caption>
        ) : (
          ""
        )}
        <thead class={headClass ?? "bg-slate-50"}>
          <tr>
            {columns.map((c) => {
              const col = typeof c === "string" ? { label: c } : c;
              return (
                <th scope="col" class={`px-3 py-2.5 text-left font-semibold text-slate-700 ${col.class ?? ""}`}>
                  <span class={col.srOnly ? "sr-only" : ""} safe>
                    {col.label}
                  </span>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody class="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  );
}

export function Td({ children, class: extra }: PropsWithChildren<{ class?: string }>): JSX.Element {
  return <td class={`px-3 py-2.5 align-top text-slate-800 ${extra ?? ""}`}>{children}</td>;
}

/** A single full-width row for "nothing here yet". */
export function EmptyRow({ colspan, text }: { colspan: number; text: string }): JSX.Element {
  return (
    <tr>
      <td colspan={String(colspan)} class="px-3 py-8 text-center text-slate-500" safe>
        {text}
      </td>
    </tr>
  );
}
