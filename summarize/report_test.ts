import assert from "node:assert/strict";
import { DOMParser } from "linkedom";
import { parse } from "csv-parse/sync";
import { renderReport } from "./report.ts";
import { summarize, summaryCsv, summaryMarkdown } from "./summarize.ts";
import { cspCsv, cspRows } from "./csp.ts";
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

Deno.test("renderReport() shows a CSP benchmark's table as summary_csp.csv has it, and only that for a benchmark-only run", async () => {
  const metrics = {
    "perov/csp/n1/match_rate": 0.375,
    "perov/csp/n1/rms_dist": 0.0812,
    "perov/csp/n1/n": 8,
    "perov/csp/n20/match_rate": 0.75,
    "perov/csp/n20/rms_dist": 0.0501,
    "perov/csp/n20/n": 8,
  };
  const csp = cspRows(metrics);
  const exp = resolveExperiment({ experiment: "csp", models: { perov: { checkpoint: "x" } }, prompts: ["Na2Cl2"] }, "csp.yaml");
  const html = await renderReport({ experiment: exp, summary: summarize([]), trainLogs: {}, cells: [], csp });
  const doc = new DOMParser().parseFromString(html, "text/html");
  const table = doc.querySelector("table#csp")!;
  const head = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  const body = [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent));
  assert.deepEqual([head, ...body], parse(cspCsv(csp)) as string[][]);
  // 3 of 8 and 6 of 8 compositions matched; rows ordered by n_gens
  assert.deepEqual(body.map((r) => [r[1], r[2], r[3]]), [["1", "8", "3"], ["20", "8", "6"]]);
  assert.equal(doc.querySelector("table#summary"), null, "a benchmark-only run has no empty per-prompt tables");
  const md = summaryMarkdown(summarize([]), "csp", csp);
  assert.match(md, /\| perov \| 20 \| 8 \| 6 \| 0\.7500 \| 0\.0501 \|/);
  assert.doesNotMatch(md, /Per model × prompt/);
  // a run without a benchmark keeps its tables and gets no CSP section
  assert.doesNotMatch(summaryMarkdown(summarize([]), "x"), /CSP/);
  assert.match(summaryMarkdown(summarize([]), "x"), /Per model × prompt/);
});
