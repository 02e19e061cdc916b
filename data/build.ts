/**
 * `crystallm data build`: raw CIFs in, an upstream-compatible token directory out.
 *
 * Steps, in order:
 * 1. symmetrize (pymatgen `CifWriter(symprec=0.1)` semantics, `symmetrize_step.ts`);
 * 2. preprocess (upstream `bin/preprocess.py`, `preprocess.ts`);
 * 3. deduplicate with upstream's `bin/deduplicate.py` rule: for each
 *    (`_chemical_formula_sum`, space group) keep the CIF with the lowest volume per
 *    formula unit; the first one wins a tie; keys keep their first-seen order;
 * 4. split train/val with a seeded shuffle (mulberry32);
 * 5. tokenize (upstream's line filter and tokenizer);
 * 6. write `train.bin`, `val.bin`, `meta.pkl` and `index.json`, and return the manifest (the
 *    CLI writes it as `manifest.json`, `crystallm run` records it in the stage's manifest).
 *
 * A CIF that cannot be read, symmetrized or preprocessed is counted under
 * `failed` with its reason; one removed by an upstream rule (Z = 0, duplicate) under
 * `dropped`. Nothing is lost without a trace and no single input stops the build.
 *
 * Upstream deduplicates before preprocessing; a CIF that preprocessing drops can
 * then hide a duplicate there, never here. The train split is not reshuffled with
 * an unseeded `random.shuffle` as in `bin/tokenize_cifs.py`.
 *
 * @module
 */
import { join } from "node:path";
import cliProgress from "cli-progress";
import { ELEMENT_DATA_SOURCE } from "../cif/elements.ts";
import {
  extractFormulaNonreduced,
  extractFormulaUnits,
  extractSpaceGroupSymbol,
  extractVolume,
  preprocessCif,
  PreprocessError,
} from "./preprocess.ts";
import { encodeCif, loadTokenizer } from "./tokenizer.ts";
import { writeTokenFile } from "./token_files.ts";
import { writeMetaPkl } from "./meta_pkl.ts";
import { type CifRecord, readSource, SourceError, type SourceInfo } from "./sources.ts";
import { cifWriterSymmetrize, type SymmetrizeFn } from "./symmetrize_step.ts";
import { hashFile } from "../core/hash.ts";
import { mulberry32, shuffled } from "../core/random.ts";
import type { SymmetrizeDone, SymmetrizeJob } from "./_symmetrize_worker.ts";

/** Options for {@linkcode buildDataset}. */
export interface BuildOptions {
  /**
   * Fraction of the kept CIFs that go to `val.bin`.
   * @default {0.1}
   */
  valFraction?: number;
  /**
   * Seed of the train/val split.
   * @default {1337}
   */
  seed?: number;
  /**
   * Symmetry tolerance of the default symmetrize step, in Å.
   * @default {0.1}
   */
  symprec?: number;
  /** Replace the symmetrize step (`keepAsIs` for inputs that are already CifWriter output). */
  symmetrize?: SymmetrizeFn;
  /**
   * Apply upstream's deduplication (off keeps every CIF, e.g. for benchmark splits that
   * are already unique by structure: upstream's key collapses Carbon-24 to ~1 CIF per space group).
   * @default {true}
   */
  dedupe?: boolean;
  /**
   * Worker threads for the default symmetrize step (1: run it on this thread).
   * @default {navigator.hardwareConcurrency, at most 8}
   */
  workers?: number;
  /**
   * Show a progress bar on stderr.
   * @default {false}
   */
  progress?: boolean;
}

/** One CIF that did not make it, and why. */
export interface Casualty {
  id: string;
  stage: "read" | "symmetrize" | "preprocess" | "deduplicate" | "tokenize";
  reason: string;
  message: string;
}

/** The manifest a build writes (and returns). */
export interface BuildManifest {
  stage: "build";
  upstream: "lantunes/CrystaLLM@8e81a86";
  options: { valFraction: number; seed: number; symprec: number; symmetrize: string; dedupe: boolean };
  elementData: string;
  sources: SourceInfo[];
  counts: {
    read: number;
    kept: number;
    train: number;
    val: number;
    dropped: number;
    failed: number;
    droppedByReason: Record<string, number>;
    failedByReason: Record<string, number>;
  };
  tokens: { train: number; val: number; unk: number; cifsWithUnk: number; droppedChars: number };
  vocabSize: number;
  seconds: number;
  cifsPerSecond: number;
  output: { dir: string; files: Record<string, string> };
  dropped: Casualty[];
  failed: Casualty[];
}

interface Prepared {
  rec: CifRecord;
  preprocessed: string;
  key: string;
  vpfu: number;
}

function reasonOf(e: unknown): string {
  if (e instanceof PreprocessError) return e.reason;
  return snake(e instanceof Error ? e.name : "Error");
}

const snake = (name: string) => name.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();

type SymResult = { ok: true; text: string } | { ok: false; name: string; message: string };

const BATCH = 32;

/** Run the default symmetrizer on a pool of workers; results keep the input order. */
async function symmetrizeInWorkers(
  records: CifRecord[],
  symprec: number,
  workers: number,
  onProgress: (n: number) => void,
): Promise<SymResult[]> {
  const results: SymResult[] = new Array(records.length);
  const starts: number[] = [];
  for (let s = 0; s < records.length; s += BATCH) starts.push(s);
  let next = 0;
  const pool = Array.from(
    { length: Math.min(workers, starts.length) },
    () => new Worker(new URL("./_symmetrize_worker.ts", import.meta.url), { type: "module" }),
  );
  try {
    await Promise.all(pool.map((w) =>
      new Promise<void>((resolve, reject) => {
        const send = () => {
          if (next >= starts.length) return resolve();
          const batch = next++;
          const items = records.slice(starts[batch], starts[batch] + BATCH).map((r) => ({
            text: r.text,
            id: r.id,
          }));
          w.postMessage({ batch, symprec, items } satisfies SymmetrizeJob);
        };
        w.onmessage = (e: MessageEvent<SymmetrizeDone>) => {
          e.data.results.forEach((r, k) => results[starts[e.data.batch] + k] = r);
          onProgress(e.data.results.length);
          send();
        };
        w.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`Cannot symmetrize: worker failed: ${e.message}`));
        };
        send();
      })
    ));
  } finally {
    for (const w of pool) w.terminate();
  }
  return results;
}

function countBy(items: Casualty[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of items) out[c.reason] = (out[c.reason] ?? 0) + 1;
  return out;
}

/**
 * Build a token directory from CIF sources.
 *
 * @param sources Paths: directories of `.cif`, `.cif` files, `.csv`/`.csv.gz` with a `cif` column, `.tar.gz`.
 * @param outDir Token directory to write.
 * @param options Split, seed, symmetrize step, progress bar.
 * @returns The manifest (`crystallm data build` writes it to `outDir/manifest.json`).
 * @throws {SourceError} When a source path does not exist, has an unknown kind or holds no CIFs.
 * @example
 * ```ts ignore
 * import { buildDataset } from "./build.ts";
 * const m = await buildDataset(["../shared/data/crystallm-benchmarks/perov_5/val.csv.gz"], "out/perov5_tokens");
 * console.log(m.counts.kept, m.tokens.train);
 * ```
 */
export async function buildDataset(
  sources: string[],
  outDir: string,
  options: BuildOptions = {},
): Promise<BuildManifest> {
  const t0 = performance.now();
  const valFraction = options.valFraction ?? 0.1;
  const seed = options.seed ?? 1337;
  const symprec = options.symprec ?? 0.1;
  const symmetrize = options.symmetrize ?? cifWriterSymmetrize(symprec);
  const dedupe = options.dedupe ?? true;
  if (!(valFraction >= 0 && valFraction <= 1)) {
    throw new RangeError(`Cannot split: val fraction ${valFraction} is not in [0, 1]`);
  }

  const infos: SourceInfo[] = [];
  const records: CifRecord[] = [];
  const dropped: Casualty[] = [], failed: Casualty[] = [];
  for (const path of sources) {
    const { records: recs, info } = await readSource(path);
    infos.push(info);
    if (info.error) {
      failed.push({ id: path, stage: "read", reason: "source_unreadable", message: info.error });
    }
    records.push(...recs);
    // an empty folder (a wrong path, a glob that matched nothing) must not become an empty dataset
    if (!info.error && info.cifs === 0 && recs.length === 0) {
      throw new SourceError(
        `Cannot build a dataset from ${path}: it holds no CIFs (${info.kind === "cif_dir" ? "no *.cif files in the folder" : "no CIF in it"}); check the path`,
      );
    }
  }

  const bar = options.progress
    ? new cliProgress.SingleBar(
      {
        format: "build [{bar}] {percentage}% | {value}/{total} CIFs | {eta_formatted} left",
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    )
    : undefined;
  bar?.start(records.length, 0);

  // 1: symmetrize (on worker threads for the default step: it dominates the run time)
  const workers = options.workers ?? Math.min(8, navigator.hardwareConcurrency || 1);
  let symResults: SymResult[];
  if (!options.symmetrize && workers > 1 && records.length >= 2 * BATCH) {
    symResults = await symmetrizeInWorkers(records, symprec, workers, (n) => bar?.increment(n));
  } else {
    symResults = records.map((rec): SymResult => {
      bar?.increment();
      try {
        return { ok: true, text: symmetrize(rec.text, rec.id) };
      } catch (e) {
        const x = e instanceof Error ? e : new Error(String(e));
        return { ok: false, name: x.name, message: x.message };
      }
    });
  }

  // 2: preprocess
  const prepared: Prepared[] = [];
  for (const [i, rec] of records.entries()) {
    const r = symResults[i];
    if (!r.ok) {
      failed.push({ id: rec.id, stage: "symmetrize", reason: snake(r.name), message: r.message });
      continue;
    }
    const sym = r.text;
    let pre: string;
    try {
      pre = preprocessCif(sym, { file: rec.id });
    } catch (e) {
      const c: Casualty = {
        id: rec.id,
        stage: "preprocess",
        reason: reasonOf(e),
        message: (e as Error)?.message ?? String(e),
      };
      // Z = 0 is upstream's one deliberate filter; everything else is a malformed input
      (c.reason === "z_zero" ? dropped : failed).push(c);
      continue;
    }
    const z = extractFormulaUnits(sym), volume = extractVolume(sym);
    if (volume === undefined) {
      failed.push({
        id: rec.id,
        stage: "deduplicate",
        reason: "missing_volume",
        message: `Cannot deduplicate ${rec.id}: no _cell_volume`,
      });
      continue;
    }
    const vpfu = volume / (z === 0 || z === undefined ? 1 : z);
    prepared.push({
      rec,
      preprocessed: pre,
      key: JSON.stringify([extractFormulaNonreduced(sym), extractSpaceGroupSymbol(sym)]),
      vpfu,
    });
  }
  bar?.stop();

  // 3: deduplicate (bin/deduplicate.py): lowest volume per formula unit per key, first wins ties
  const best = new Map<string, Prepared>();
  for (const p of prepared) {
    if (!dedupe) {
      best.set(String(best.size), p);
      continue;
    }
    const cur = best.get(p.key);
    if (!cur) best.set(p.key, p);
    else if (p.vpfu < cur.vpfu) {
      dropped.push({
        id: cur.rec.id,
        stage: "deduplicate",
        reason: "duplicate",
        message: `${cur.rec.id} duplicates ${p.rec.id} ${p.key} with a larger volume per formula unit`,
      });
      best.set(p.key, p);
    } else {
      dropped.push({
        id: p.rec.id,
        stage: "deduplicate",
        reason: "duplicate",
        message: `${p.rec.id} duplicates ${cur.rec.id} ${p.key}`,
      });
    }
  }
  const kept = [...best.values()];

  // 4: split
  const order = shuffled(kept, mulberry32(seed));
  const nVal = Math.min(order.length, Math.round(order.length * valFraction));
  const split = { val: order.slice(0, nVal), train: order.slice(nVal) };

  // 5-6: tokenize and write
  const tok = loadTokenizer();
  await Deno.mkdir(outDir, { recursive: true });
  const tokens = { train: 0, val: 0, unk: 0, cifsWithUnk: 0, droppedChars: 0 };
  const index: Record<string, unknown> = { dtype: "uint16 little-endian, no header (numpy.tofile)" };
  for (const name of ["train", "val"] as const) {
    const ids: number[] = [];
    const entries: { id: string; offset: number; length: number }[] = [];
    for (const p of split[name]) {
      const r = encodeCif(p.preprocessed, { tokenizer: tok });
      entries.push({ id: p.rec.id, offset: ids.length, length: r.ids.length });
      for (const id of r.ids) ids.push(id);
      tokens.unk += r.unkCount;
      tokens.droppedChars += r.droppedChars;
      if (r.unkCount) tokens.cifsWithUnk++;
    }
    tokens[name] = ids.length;
    index[name] = entries;
    await writeTokenFile(join(outDir, `${name}.bin`), ids);
  }
  await writeMetaPkl(join(outDir, "meta.pkl"), tok);
  await Deno.writeTextFile(join(outDir, "index.json"), JSON.stringify(index, null, 1) + "\n");

  const files: Record<string, string> = {};
  for (const f of ["train.bin", "val.bin", "meta.pkl", "index.json"]) {
    files[f] = await hashFile(join(outDir, f));
  }
  const seconds = (performance.now() - t0) / 1000;
  const manifest: BuildManifest = {
    stage: "build",
    upstream: "lantunes/CrystaLLM@8e81a86",
    options: {
      valFraction,
      seed,
      symprec,
      symmetrize: options.symmetrize ? (options.symmetrize.name || "custom") : "cifWriterSymmetrize",
      dedupe,
    },
    elementData: ELEMENT_DATA_SOURCE,
    sources: infos,
    counts: {
      read: records.length,
      kept: kept.length,
      train: split.train.length,
      val: split.val.length,
      dropped: dropped.length,
      failed: failed.length,
      droppedByReason: countBy(dropped),
      failedByReason: countBy(failed),
    },
    tokens,
    vocabSize: tok.vocabSize,
    seconds: Number(seconds.toFixed(3)),
    cifsPerSecond: Number((records.length / seconds).toFixed(1)),
    output: { dir: outDir, files },
    dropped,
    failed,
  };
  return manifest;
}
