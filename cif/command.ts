/**
 * `crystallm cif …`: inspect and symmetrize CIF files.
 *
 * @module
 */
import { Command, Option } from "commander";
import { basename, join } from "node:path";
import { listCifFiles, readText } from "./files.ts";
import { structureFromCif } from "./from_cif.ts";
import { spaceGroupOf } from "../symmetry/analyzer.ts";
import { symmetrizedCif } from "../symmetry/symmetrize.ts";
import { spaceGroupOpsForCif } from "../symmetry/cif_fallback.ts";

/** One line of `crystallm cif info --json`. */
export interface CifInfo {
  file: string;
  ok: boolean;
  error: string | null;
  reduced_formula: string | null;
  formula: string | null;
  n_sites: number | null;
  volume: number | null;
  sg_number: number | null;
  sg_symbol: string | null;
}

/**
 * Summarise one CIF file (never throws: failures are reported in `error`).
 *
 * As pymatgen's `Structure.from_str`, degenerate and extreme cells (a length of 0.1 or
 * 2,000 Å, an angle of 0° or 179°) still parse: `ok` is true and the formula is reported. The
 * space group comes from the spglib port; where spglib finds none (or, for a cell with a 0°
 * angle, where pymatgen's spglib crashes), `sg_number` and `sg_symbol` are null and `error`
 * says why.
 *
 * @param file Path of the CIF.
 * @param symprec Symmetry tolerance in Å.
 * @returns The summary row.
 */
export function cifInfo(file: string, symprec = 0.1): CifInfo {
  const row: CifInfo = {
    file,
    ok: false,
    error: null,
    reduced_formula: null,
    formula: null,
    n_sites: null,
    volume: null,
    sg_number: null,
    sg_symbol: null,
  };
  let s;
  try {
    s = structureFromCif(readText(file), { file, spaceGroupOps: spaceGroupOpsForCif });
  } catch (e) {
    row.error = e instanceof Error ? e.message : String(e);
    return row;
  }
  const comp = s.composition;
  row.reduced_formula = comp.reducedFormula;
  row.formula = comp.formula;
  row.n_sites = s.length;
  row.volume = Number.isFinite(s.volume) ? s.volume : null;
  row.ok = true;
  try {
    const sg = spaceGroupOf(s, { symprec });
    row.sg_number = sg.number;
    row.sg_symbol = sg.symbol;
  } catch (e) {
    row.error = `${file}: no space group: ${e instanceof Error ? e.message : String(e)}`;
  }
  return row;
}

const symprecOption = () =>
  new Option("--symprec <angstrom>", "symmetry tolerance (CrystaLLM uses 0.1)").default(0.1).argParser(
    parseFloat,
  );

/** The `cif` command group. */
export function cifCommand(): Command {
  const cif = new Command("cif").description("inspect and symmetrize CIF files");

  cif.command("info")
    .description("formula, site count, volume and space group of each CIF")
    .argument("<paths...>", "CIF files or directories of *.cif")
    .addOption(symprecOption())
    .option("--json", "one JSON object per line", false)
    .addHelpText(
      "after",
      `
Examples:
  $ deno task crystallm cif info fixtures/nacl10 --json
  $ deno task crystallm cif info structure.cif --symprec 0.01`,
    )
    .action((paths: string[], opts: { symprec: number; json: boolean }) => {
      let files: string[];
      try {
        files = listCifFiles(paths);
      } catch (e) {
        cif.error((e as Error).message, { exitCode: 2 });
      }
      let failed = 0;
      for (const f of files!) {
        const row = cifInfo(f, opts.symprec);
        if (!row.ok) failed++;
        if (opts.json) console.log(JSON.stringify(row));
        else if (row.ok) {
          const volume = row.volume === null ? "NaN" : row.volume.toFixed(4);
          const sg = row.sg_number === null
            ? `no space group (${row.error})`
            : `${row.sg_symbol} (${row.sg_number})`;
          console.log(`${f}\t${row.reduced_formula}\t${row.n_sites} sites\t${volume} Å³\t${sg}`);
        } else console.log(`${f}\tERROR\t${row.error}`);
      }
      if (!opts.json && files!.length > 1) console.error(`${files!.length - failed}/${files!.length} parsed`);
    });

  cif.command("symmetrize")
    .description("write CifWriter(symprec)-style symmetrized CIFs with the same file names")
    .argument("<paths...>", "CIF files or directories of *.cif")
    .requiredOption("--out <dir>", "output directory")
    .addOption(symprecOption())
    .addHelpText(
      "after",
      `
Examples:
  $ deno task crystallm cif symmetrize raw_cifs/ --out sym_cifs/
  $ deno task crystallm cif symmetrize a.cif b.cif --out sym/ --symprec 0.01`,
    )
    .action((paths: string[], opts: { out: string; symprec: number }) => {
      let files: string[];
      try {
        files = listCifFiles(paths);
      } catch (e) {
        cif.error((e as Error).message, { exitCode: 2 });
      }
      Deno.mkdirSync(opts.out, { recursive: true });
      let failed = 0;
      for (const f of files!) {
        try {
          const s = structureFromCif(readText(f), { file: f, spaceGroupOps: spaceGroupOpsForCif });
          Deno.writeTextFileSync(join(opts.out, basename(f)), symmetrizedCif(s, { symprec: opts.symprec }));
        } catch (e) {
          failed++;
          console.error(`${f}: ${(e as Error).message}`);
        }
      }
      console.error(`symmetrized ${files!.length - failed}/${files!.length} CIFs into ${opts.out}`);
      if (failed) Deno.exitCode = 1;
    });
  return cif;
}
