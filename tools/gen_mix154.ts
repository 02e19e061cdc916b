/**
 * Regenerate `fixtures/mix154/`: 154 AFLOW prototype structures of varied formulas
 * and space groups, drawn reproducibly from `../shared/data/aflow-prototypes/prototypes.csv.gz`
 * (the `aflow_prototypes.json` of Debian's python3-pymatgen 2022.11.7, as P1 CIFs).
 *
 *   deno run -A tools/gen_mix154.ts            # uses $CRYSTALLM_SHARED or ../shared
 *
 * Selection (seed 154, mulberry32):
 * 1. keep prototypes whose elements are all in CrystaLLM's 89-atom vocabulary and have
 *    the atomic radius upstream's preprocessing needs (so every fixture tokenizes
 *    without `<unk>` and none is dropped);
 * 2. group them by space-group number (third field of the AFLOW label), shuffle the
 *    groups and each group with the seed, then take one prototype per group in turn
 *    until 154 are taken, so space groups are as varied as the library allows.
 *
 * Each CIF is written byte for byte as stored in the corpus (P1, pymatgen CifWriter
 * layout); `crystallm data build` symmetrizes it.
 *
 * @module
 */
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { gunzipSync } from "fflate";
import { element } from "../cif/elements.ts";
import { Composition } from "../cif/composition.ts";
import { REPO_ROOT, sharedPath } from "../core/paths.ts";
import { ATOMS } from "../data/_vocab_data.ts";
import { mulberry32, shuffled } from "../core/random.ts";

const N = 154, SEED = 154;
const CORPUS = "data/aflow-prototypes/prototypes.csv.gz";

interface Row {
  id: string;
  aflow: string;
  mineral: string;
  strukturbericht: string;
  pearson: string;
  formula: string;
  cif: string;
}

/** Rows that survive upstream's pipeline without `<unk>`. */
export function usable(row: Row): boolean {
  const atoms = new Set(ATOMS);
  return Composition.parse(row.formula).elements.every((el) =>
    atoms.has(el) && (element(el)?.atomic_radius != null || ["He", "Ne", "Kr", "Xe", "Rn"].includes(el))
  );
}

/** The 154 rows, in selection order. */
export function selectMix154(rows: Row[]): Row[] {
  const rand = mulberry32(SEED);
  const groups = new Map<string, Row[]>();
  for (const r of rows.filter(usable)) {
    const sg = r.aflow.split("_")[2];
    groups.set(sg, [...(groups.get(sg) ?? []), r]);
  }
  const queues = shuffled([...groups.keys()].sort(), rand).map((sg) => shuffled(groups.get(sg)!, rand));
  const out: Row[] = [];
  while (out.length < N && queues.some((q) => q.length)) {
    for (const q of queues) if (q.length && out.length < N) out.push(q.shift()!);
  }
  if (out.length < N) throw new Error(`Cannot draw ${N} prototypes: only ${out.length} are usable`);
  return out;
}

if (import.meta.main) {
  const path = sharedPath(CORPUS);
  const rows = parseCsv(new TextDecoder().decode(gunzipSync(Deno.readFileSync(path))), {
    columns: true,
  }) as Row[];
  const picked = selectMix154(rows);
  const dir = join(REPO_ROOT, "fixtures", "mix154");
  for (const e of Deno.readDirSync(dir)) if (e.name.endsWith(".cif")) Deno.removeSync(join(dir, e.name));
  const lines = ["file,id,aflow,pearson,strukturbericht,mineral,formula"];
  for (const r of picked) {
    const file = `${r.id}_${r.aflow}.cif`;
    Deno.writeTextFileSync(join(dir, file), r.cif);
    const q = (s: string) => (/[",]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    lines.push([file, r.id, r.aflow, r.pearson, r.strukturbericht, r.mineral, r.formula].map(q).join(","));
  }
  Deno.writeTextFileSync(join(dir, "index.csv"), lines.join("\n") + "\n");
  const sgs = new Set(picked.map((r) => r.aflow.split("_")[2]));
  console.log(
    `wrote ${picked.length} CIFs (${sgs.size} space groups, ${
      new Set(picked.map((r) => r.formula)).size
    } formulas) to ${dir}`,
  );
}
