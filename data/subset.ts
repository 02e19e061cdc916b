/**
 * `subset_tokenized_by_data_prefix` from the seed (experiment 4, "mix10000"): take
 * whole CIFs out of an upstream token directory by scanning its streams for the
 * `data_` token, which starts every CIF.
 *
 * A CIF is the span from one `data_` to the next (or to the end of the stream);
 * tokens before the first `data_` belong to no whole CIF and are ignored. Train CIFs
 * come from `train.bin`; validation CIFs from `val.bin`, or, when there is none, from
 * the train CIFs not already taken. The choice is a seeded shuffle (mulberry32), so
 * one seed always gives the same subset; the chosen CIFs keep their stream order.
 *
 * @module
 */
import { join } from "node:path";
import { readTokenFile, writeTokenFile } from "./token_files.ts";
import { readMetaPkl } from "./meta_pkl.ts";
import { hashFile } from "../core/hash.ts";
import { mulberry32, shuffled } from "../core/random.ts";
import { exists } from "./_util.ts";

/** Options for {@linkcode subsetTokenized}. */
export interface SubsetOptions {
  /** Number of train CIFs to take. */
  nTrain: number;
  /** Number of validation CIFs to take. */
  nVal: number;
  /**
   * Skip CIFs shorter than this many tokens (the seed used 32).
   * @default {1}
   */
  minLen?: number;
  /**
   * Seed of the shuffle.
   * @default {1337}
   */
  seed?: number;
  /**
   * Take all there is when a stream holds fewer eligible CIFs than asked for, instead of failing.
   * @default {false}
   */
  allowFewer?: boolean;
}

/** Thrown when a stream has fewer CIFs than requested (without `allowFewer`) or a folder is incomplete. */
export class SubsetError extends Error {
  override name = "SubsetError";
}

/** A whole CIF in a token stream: `[start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** What {@linkcode subsetTokenized} wrote (also the body of its manifest). */
export interface SubsetManifest {
  stage: "subset";
  method: "subset_tokenized_by_data_prefix";
  input: { dir: string; files: Record<string, string> };
  options: Required<SubsetOptions>;
  dataTokenId: number;
  train: SplitCounts;
  val: SplitCounts;
  output: { files: Record<string, string> };
}

/** Counts for one split. */
export interface SplitCounts {
  /** Stream the CIFs came from. */
  source: "train.bin" | "val.bin";
  /** Whole CIFs found in the stream. */
  cifsInStream: number;
  /** Of those, CIFs with at least `minLen` tokens (and not already taken for train). */
  eligible: number;
  requested: number;
  taken: number;
  tokens: number;
}

/**
 * Find the whole CIFs of a token stream.
 *
 * @param ids The stream.
 * @param dataTokenId Id of `data_` (124 for upstream's vocabulary).
 * @returns One span per `data_`.
 * @example
 * ```ts
 * import { cifSpans } from "./subset.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(cifSpans([9, 124, 1, 2, 124, 3], 124), [{ start: 1, end: 4 }, { start: 4, end: 6 }]);
 * ```
 */
export function cifSpans(ids: ArrayLike<number>, dataTokenId: number): Span[] {
  const starts: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] === dataTokenId) starts.push(i);
  return starts.map((start, k) => ({ start, end: k + 1 < starts.length ? starts[k + 1] : ids.length }));
}

/** Refuse an id outside the vocabulary, naming the file and the offset. */
function checkIds(file: string, ids: Uint16Array, vocabSize: number): void {
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] >= vocabSize) {
      throw new SubsetError(
        `Cannot subset ${file}: token id ${ids[i]} at offset ${i} (byte ${2 * i}) is outside the vocabulary of ` +
          `${vocabSize} tokens (meta.pkl); the file is damaged or was tokenized with another vocabulary`,
      );
    }
  }
}

function take(
  spans: Span[],
  n: number,
  what: string,
  o: Required<SubsetOptions>,
  rand: () => number,
): Span[] {
  if (spans.length < n && !o.allowFewer) {
    throw new SubsetError(
      `Cannot take ${n} ${what} CIFs: only ${spans.length} have at least ${o.minLen} tokens; ` +
        `ask for fewer or pass --allow-fewer to take them all`,
    );
  }
  return shuffled(spans, rand).slice(0, n).sort((a, b) => a.start - b.start);
}

function gather(ids: Uint16Array, spans: Span[]): Uint16Array {
  const out = new Uint16Array(spans.reduce((s, x) => s + x.end - x.start, 0));
  let at = 0;
  for (const s of spans) {
    out.set(ids.subarray(s.start, s.end), at);
    at += s.end - s.start;
  }
  return out;
}

/**
 * Write a token directory holding `nTrain` + `nVal` whole CIFs of another.
 *
 * @param inDir Folder with `train.bin`, `meta.pkl` and optionally `val.bin`.
 * @param outDir Folder to write `train.bin`, `val.bin` and `meta.pkl` (copied) to.
 * @param options Counts, minimum length, seed.
 * @returns The manifest (`crystallm data subset` writes it to `outDir/manifest.json`).
 * @throws {SubsetError} When a stream has too few CIFs (unless `allowFewer`) or a file is missing.
 * @example
 * ```ts ignore
 * import { subsetTokenized } from "./subset.ts";
 * await subsetTokenized("data/official/tokens", "data/mix10000", { nTrain: 9000, nVal: 1000, minLen: 32 });
 * ```
 */
export async function subsetTokenized(
  inDir: string,
  outDir: string,
  options: SubsetOptions,
): Promise<SubsetManifest> {
  const o: Required<SubsetOptions> = { minLen: 1, seed: 1337, allowFewer: false, ...options };
  for (const f of ["train.bin", "meta.pkl"]) {
    if (!await exists(join(inDir, f))) throw new SubsetError(`Cannot subset ${inDir}: ${f} is missing`);
  }
  const meta = await readMetaPkl(join(inDir, "meta.pkl"));
  const dataTokenId = meta.stoi.get("data_");
  if (dataTokenId === undefined) throw new SubsetError(`Cannot subset ${inDir}: meta.pkl has no data_ token`);
  const rand = mulberry32(o.seed);

  const train = await readTokenFile(join(inDir, "train.bin"));
  checkIds(join(inDir, "train.bin"), train, meta.vocabSize);
  const trainSpans = cifSpans(train, dataTokenId);
  const trainEligible = trainSpans.filter((s) => s.end - s.start >= o.minLen);
  const trainTaken = take(trainEligible, o.nTrain, "train", o, rand);

  const hasVal = await exists(join(inDir, "val.bin"));
  const valStream = hasVal ? await readTokenFile(join(inDir, "val.bin")) : train;
  if (hasVal) checkIds(join(inDir, "val.bin"), valStream, meta.vocabSize);
  const valSpans = hasVal ? cifSpans(valStream, dataTokenId) : trainSpans;
  const takenStarts = new Set(trainTaken.map((s) => s.start));
  const valEligible = hasVal
    ? valSpans.filter((s) => s.end - s.start >= o.minLen)
    : trainEligible.filter((s) => !takenStarts.has(s.start));
  const valTaken = take(valEligible, o.nVal, "val", o, rand);

  await Deno.mkdir(outDir, { recursive: true });
  const trainOut = gather(train, trainTaken), valOut = gather(valStream, valTaken);
  await writeTokenFile(join(outDir, "train.bin"), trainOut);
  await writeTokenFile(join(outDir, "val.bin"), valOut);
  await Deno.copyFile(join(inDir, "meta.pkl"), join(outDir, "meta.pkl"));

  const inFiles: Record<string, string> = {};
  for (const f of ["train.bin", "val.bin", "meta.pkl"]) {
    if (await exists(join(inDir, f))) inFiles[f] = await hashFile(join(inDir, f));
  }
  const outFiles: Record<string, string> = {};
  for (const f of ["train.bin", "val.bin", "meta.pkl"]) outFiles[f] = await hashFile(join(outDir, f));
  const manifest: SubsetManifest = {
    stage: "subset",
    method: "subset_tokenized_by_data_prefix",
    input: { dir: inDir, files: inFiles },
    options: o,
    dataTokenId,
    train: {
      source: "train.bin",
      cifsInStream: trainSpans.length,
      eligible: trainEligible.length,
      requested: o.nTrain,
      taken: trainTaken.length,
      tokens: trainOut.length,
    },
    val: {
      source: hasVal ? "val.bin" : "train.bin",
      cifsInStream: valSpans.length,
      eligible: valEligible.length,
      requested: o.nVal,
      taken: valTaken.length,
      tokens: valOut.length,
    },
    output: { files: outFiles },
  };
  return manifest;
}
