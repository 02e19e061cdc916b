import assert from "node:assert/strict";
import { DOMParser } from "linkedom";
import { parse } from "csv-parse/sync";
import { renderReport } from "./report.ts";
import { summarize, summaryCsv } from "./summarize.ts";
import { resolveExperiment } from "../run/experiment.ts";

Deno.test("renderReport() tables equal summary.csv and the page carries SVG plots", async () => {
  const rows = (n: number, valid: number) =>
    Array.from({ length: n }, (_, i) => ({
      file: `sample_${i + 1}.cif`,
      parse_ok: true,
      reduced_formula: i % 2 ? "NaCl" : "Na2Cl3",
      sg_number: i % 3 ? 225 : 221,
      sg_symbol: i % 3 ? "Fm-3m" : "Pm-3m",
      is_valid: i < valid,
    }));
  const cells = [
    { model: "base", prompt: "data_Na2Cl2\n", prompt_formula: "NaCl", temperature: 0.8, rows: rows(6, 5) },
    { model: "base", prompt: "data_Na2Cl2\n", prompt_formula: "NaCl", temperature: 0.4, rows: rows(6, 6) },
  ];
  const summary = summarize(cells);
  const exp = resolveExperiment({ experiment: "demo", models: { base: { checkpoint: "x" } }, prompts: ["Na2Cl2"] }, "demo.yaml");
  const html = await renderReport({
    experiment: exp,
    summary,
    trainLogs: { base: "iteration,lr,train_loss,val_loss,tokens_per_s\n0,0.001,3.0,3.1,100\n10,0.001,2.0,2.5,100\n" },
    cells,
  });
  const doc = new DOMParser().parseFromString(html, "text/html");
  const table = doc.querySelector("table#summary")!;
  const head = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  const body = [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent));
  const csv = parse(summaryCsv(summary)) as string[][];
  assert.deepEqual([head, ...body], csv);
  // loss curves, temperature plot, space-group histogram (heat map needs > 1 cell: here 2 rows)
  assert.ok(doc.querySelectorAll("svg").length >= 3, "expected inline SVG plots");
  assert.match(html, /Loss curves/);
  assert.match(html, /against temperature/);
});
