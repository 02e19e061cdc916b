/**
 * Test helpers for data/: the tokenizer/preprocess oracle of `../shared/oracle/tokenizer/`
 * (upstream CrystaLLM 8e81a86 and pymatgen 2022.11.7 outputs), and Debian's `/usr/bin/python3`
 * (pickle, numpy) run on a script through `tests/python.ts`, with its CPU dispatch pinned.
 * Tests only.
 *
 * @module
 */
import { hasShared, sharedPath } from "../core/paths.ts";
import { hasPython, PYTHON, runPython as runReference } from "../tests/python.ts";

/** One line of `preprocessed.jsonl`. */
export interface OracleCase {
  id: string;
  dataset: string;
  csv: string;
  row: number;
  split: "train" | "val";
  raw_cif: string;
  orig_cif: string;
  preprocessed_cif: string;
  tokenizer_input: string;
  tokens: string[];
  token_ids: number[];
  n_tokens: number;
  n_unk: number;
  decoded: string;
}

/** Relative path of the oracle folder inside shared/. */
export const ORACLE_DIR = "oracle/tokenizer";

/** True when the oracle is present; tests `ignore` themselves otherwise. */
export const HAS_ORACLE: boolean = hasShared(`${ORACLE_DIR}/preprocessed.jsonl`);
if (!HAS_ORACLE) {
  console.warn(`oracle missing: ${ORACLE_DIR} not under CRYSTALLM_SHARED or ../shared; parity tests skipped`);
}

let cases: OracleCase[] | undefined;

/** The 120 oracle cases, in file order. */
export function oracleCases(): OracleCase[] {
  cases ??= Deno.readTextFileSync(sharedPath(`${ORACLE_DIR}/preprocessed.jsonl`))
    .split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  return cases;
}

/** Path of an oracle file. */
export function oraclePath(name: string): string {
  return sharedPath(`${ORACLE_DIR}/${name}`);
}

/** The first index where two sequences differ, or -1. */
export function firstDiff<T>(a: readonly T[], b: readonly T[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Describe the first difference of two strings with a little context. */
export function describeTextDiff(got: string, want: string): string {
  const i = firstDiff([...got], [...want]);
  if (i < 0) return "identical";
  const lineNo = got.slice(0, i).split("\n").length;
  return `first difference at char ${i} (line ${lineNo}): got ${
    JSON.stringify(got.slice(Math.max(0, i - 30), i + 30))
  }` +
    ` want ${JSON.stringify(want.slice(Math.max(0, i - 30), i + 30))}`;
}

export { PYTHON };

/** True when {@linkcode PYTHON} runs and imports numpy. */
export const HAS_PYTHON: boolean = hasPython(["numpy", "pickle"]);
if (!HAS_PYTHON) console.warn(`${PYTHON} with numpy not found: Python round-trip tests skipped`);

/**
 * Run a Python script with arguments and return its stdout as text.
 *
 * @param script Python source.
 * @param args `sys.argv[1:]`.
 * @returns stdout.
 * @throws {Error} With Python's stderr when it fails.
 */
export async function runPython(script: string, args: string[] = []): Promise<string> {
  return new TextDecoder().decode(await runReference(["-c", script, ...args]));
}
