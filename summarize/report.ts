/**
 * The HTML report of an experiment: summary tables (the same rows as
 * `summary.csv`) and plots rendered from Vega-Lite specs to inline SVG, so the
 * page is one self-contained file that opens offline.
 *
 * Plots: loss curves (train and val per model), validity and diversity against
 * temperature (when the experiment sweeps it), space-group histograms per model,
 * and a model × prompt heat map of validity.
 *
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import { parse as parseCsv } from "csv-parse/sync";
import { MACRO_COLUMNS, SUMMARY_COLUMNS, type Summary, type SummaryInput } from "./summarize.ts";
import { CSP_COLUMNS, type CspRow } from "./csp.ts";

/** What the report shows of the experiment (run/experiment.ts's `ExperimentSpec` has these fields). */
export interface ReportExperiment {
  /** The experiment's name. */
  experiment: string;
  /** Its one-paragraph description. */
  description: string;
}

/** Everything the report shows. */
export interface ReportInput {
  experiment: ReportExperiment;
  summary: Summary;
  /** Model → contents of its train_log.csv. */
  trainLogs: Record<string, string>;
  /** The evaluated cells (for histograms). */
  cells: SummaryInput[];
  /** The CSP benchmark's rows (summarize/csp.ts), when the experiment has one. */
  csp?: CspRow[];
}

/**
 * Render a Vega-Lite spec to an SVG string (no browser, no canvas).
 *
 * @param spec A Vega-Lite specification with inline data.
 * @returns SVG markup.
 */
export async function vegaLiteToSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function esc(s: unknown): string {
  return String(s ?? "").replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(4);
  return String(v);
}

function table(id: string, cols: string[], rows: Record<string, unknown>[]): string {
  const head = cols.map((c) => `<th>${esc(c)}</th>`).join("");
  const body = rows.map((r) => `<tr>${cols.map((c) => `<td>${esc(cell(r[c]))}</td>`).join("")}</tr>`).join("\n");
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * The report page.
 *
 * @param input Experiment, summary, training logs and evaluated cells.
 * @returns HTML text.
 */
export async function renderReport(input: ReportInput): Promise<string> {
  const { experiment, summary } = input;
  const plots: string[] = [];
  const width = 420;

  const loss: Record<string, unknown>[] = [];
  for (const [model, csv] of Object.entries(input.trainLogs)) {
    const rows = parseCsv(csv, { columns: true }) as Record<string, string>[];
    for (const r of rows) {
      const it = Number(r.iteration);
      if (r.train_loss !== "" && r.train_loss !== undefined) loss.push({ model, iteration: it, split: "train", loss: Number(r.train_loss) });
      if (r.val_loss !== "" && r.val_loss !== undefined) loss.push({ model, iteration: it, split: "val", loss: Number(r.val_loss) });
    }
  }
  if (loss.length) {
    plots.push(`<h2>Loss curves</h2>` + await vegaLiteToSvg({
      title: "train and val loss",
      width,
      height: 240,
      data: { values: loss },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "iteration", type: "quantitative" },
        y: { field: "loss", type: "quantitative", scale: { zero: false } },
        color: { field: "model", type: "nominal" },
        strokeDash: { field: "split", type: "nominal" },
      },
    }));
  }

  if (summary.rows.some((r) => r.temperature !== null)) {
    const vals = summary.macro.flatMap((m) => [
      { model: m.model, temperature: m.temperature, metric: "validity_mean", value: m.validity_mean },
      { model: m.model, temperature: m.temperature, metric: "uniqueness_mean", value: m.uniqueness_mean },
    ]);
    plots.push(`<h2>Validity and diversity against temperature</h2>` + await vegaLiteToSvg({
      width,
      height: 220,
      data: { values: vals },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "temperature", type: "quantitative" },
        y: { field: "value", type: "quantitative" },
        color: { field: "metric", type: "nominal" },
        strokeDash: { field: "model", type: "nominal" },
      },
    }));
  }

  const sg: Record<string, unknown>[] = [];
  for (const c of input.cells) {
    for (const r of c.rows) if (r.parse_ok && r.sg_number) sg.push({ model: c.model, sg: r.sg_symbol ?? String(r.sg_number) });
  }
  if (sg.length) {
    plots.push(`<h2>Space groups of parsed samples</h2>` + await vegaLiteToSvg({
      width,
      height: 200,
      data: { values: sg },
      mark: "bar",
      encoding: {
        x: { field: "sg", type: "nominal", sort: "-y", title: "space group" },
        y: { aggregate: "count", type: "quantitative" },
        color: { field: "model", type: "nominal" },
        xOffset: { field: "model", type: "nominal" },
      },
    }));
  }

  if (summary.rows.length > 1) {
    plots.push(`<h2>Validity by model and prompt</h2>` + await vegaLiteToSvg({
      data: { values: summary.rows.map((r) => ({ model: r.model, prompt: r.prompt.trim(), validity: r.validity })) },
      mark: "rect",
      encoding: {
        x: { field: "prompt", type: "nominal" },
        y: { field: "model", type: "nominal" },
        color: { field: "validity", type: "quantitative", scale: { domain: [0, 1] } },
      },
    }));
  }

  const csp = input.csp ?? [];
  const sections: string[] = [];
  if (summary.rows.length || !csp.length) {
    sections.push(
      `<h2>Per model × prompt</h2>`,
      table("summary", SUMMARY_COLUMNS as string[], summary.rows as unknown as Record<string, unknown>[]),
      `<h2>Macro averages over prompts</h2>`,
      table("macro", MACRO_COLUMNS as string[], summary.macro as unknown as Record<string, unknown>[]),
    );
  }
  if (csp.length) {
    sections.push(
      `<h2>CSP benchmark</h2>`,
      `<p>Match rate and mean RMS distance over the first n_gens generations per test composition (upstream's benchmark_metrics.py).</p>`,
      table("csp", CSP_COLUMNS as string[], csp as unknown as Record<string, unknown>[]),
    );
  }

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(experiment.experiment)} — crystallm-harness</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#f4f4f4}</style></head>
<body>
<h1>${esc(experiment.experiment)}</h1>
<p>${esc(experiment.description)}</p>
${sections.join("\n")}
${plots.join("\n")}
</body></html>
`;
}
