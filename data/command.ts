/**
 * `crystallm data …`: preprocess, tokenize, subset and build CrystaLLM datasets.
 *
 * Try the following:
 * ```sh
 * deno task crystallm data build --source ../shared/data/crystallm-benchmarks/perov_5/val.csv.gz --out out/perov5
 * deno task crystallm data subset --in out/perov5 --out out/perov5_100 --n-train 90 --n-val 10 --min-len 32
 * deno task crystallm data preprocess fixtures/nacl10 --out out/nacl10_pre
 * deno task crystallm data tokenize out/nacl10_pre/*.cif --ids
 * ```
 *
 * @module
 */
import { listCifFiles as listCifPaths, readText } from "../cif/files.ts";
import { Command, Option } from "commander";
import { basename, join } from "node:path";
import { buildDataset } from "./build.ts";
import { preprocessCif, PreprocessError } from "./preprocess.ts";
import { SourceError } from "./sources.ts";
import { SubsetError, subsetTokenized } from "./subset.ts";
import { cifWriterSymmetrize, keepAsIs } from "./symmetrize_step.ts";
import { encodeCif, loadTokenizer } from "./tokenizer.ts";
import { MetaError } from "./meta_pkl.ts";
import { writeManifest } from "./_util.ts";

/** The CIF files named by `<file|dir>...` arguments (directories: their `*.cif`, sorted). */
function listCifFiles(paths: string[], cmd: Command): string[] {
  try {
    return listCifPaths(paths);
  } catch (e) {
    cmd.error(`error: ${(e as Error).message}`, { exitCode: 2 });
  }
}

/** Parse a non-negative integer option, or stop with exit code 2. */
function nonNegInt(cmd: Command, name: string, value: string | number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    cmd.error(`error: ${name} must be a non-negative integer, got ${value}`, { exitCode: 2 });
  }
  return n;
}

/**
 * The `data` command group.
 *
 * @returns A commander command with `preprocess`, `tokenize`, `subset` and `build`.
 * @example
 * ```ts ignore
 * import { Command } from "commander";
 * import { dataCommand } from "./command.ts";
 * await new Command("crystallm").addCommand(dataCommand())
 *   .parseAsync(["data", "subset", "--in", "tokens", "--out", "small", "--n-train", "9", "--n-val", "1"], { from: "user" });
 * ```
 */
export function dataCommand(): Command {
  const data = new Command("data").description(
    "preprocess, tokenize, subset and build CrystaLLM datasets (upstream 8e81a86)",
  );

  data.command("preprocess")
    .description("upstream bin/preprocess.py on each CIF; writes files of the same names")
    .argument("<paths...>", "CifWriter CIF files or directories of *.cif")
    .requiredOption("--out <dir>", "output directory")
    .option("--symmetrize", "symmetrize first (CifWriter, symprec below), for raw or P1 CIFs", false)
    .addOption(
      new Option("--symprec <angstrom>", "symmetry tolerance for --symmetrize").default(0.1).argParser(
        parseFloat,
      ),
    )
    .option("--decimal-places <n>", "digits kept by round_numbers", "4")
    .addHelpText(
      "after",
      `
Examples:
  $ deno task crystallm data preprocess cifs/ --out out/pre
  $ deno task crystallm data preprocess fixtures/nacl10 --symmetrize --out out/nacl10_pre`,
    )
    .action(
      (
        paths: string[],
        opts: { out: string; symmetrize: boolean; symprec: number; decimalPlaces: string },
        cmd: Command,
      ) => {
        const files = listCifFiles(paths, cmd);
        const decimalPlaces = nonNegInt(cmd, "--decimal-places", opts.decimalPlaces);
        const symmetrize = opts.symmetrize ? cifWriterSymmetrize(opts.symprec) : keepAsIs;
        Deno.mkdirSync(opts.out, { recursive: true });
        let failed = 0;
        for (const f of files) {
          try {
            const out = preprocessCif(symmetrize(readText(f), f), { file: f, decimalPlaces });
            Deno.writeTextFileSync(join(opts.out, basename(f)), out);
          } catch (e) {
            failed++;
            const reason = e instanceof PreprocessError ? e.reason : (e as Error).name;
            console.error(`skipped ${f} (${reason}): ${(e as Error).message}`);
          }
        }
        console.error(`preprocessed ${files.length - failed}/${files.length} CIFs into ${opts.out}`);
        if (failed) Deno.exitCode = 1;
      },
    );

  data.command("tokenize")
    .description("upstream's line filter and tokenizer; one JSON line per file")
    .argument("<files...>", "preprocessed CIF files")
    .option("--ids", 'print {"file", "ids"} (default: {"file", "tokens"})', false)
    .addHelpText(
      "after",
      `
Examples:
  $ deno task crystallm data tokenize out/pre/NaCl.cif --ids
  $ deno task crystallm data tokenize out/pre/*.cif`,
    )
    .action((files: string[], opts: { ids: boolean }, cmd: Command) => {
      const tok = loadTokenizer();
      for (const file of listCifFiles(files, cmd)) {
        const r = encodeCif(readText(file), { tokenizer: tok });
        if (r.unkCount) console.error(`${file}: ${r.unkCount} <unk> tokens`);
        console.log(
          JSON.stringify(opts.ids ? { file, ids: r.ids } : { file, tokens: r.ids.map((i) => tok.tokens[i]) }),
        );
      }
    });

  data.command("subset")
    .description("take whole CIFs from a token directory by data_ boundaries (the seed's mix10000 recipe)")
    .requiredOption("--in <token_dir>", "directory with train.bin, val.bin, meta.pkl")
    .requiredOption("--out <token_dir>", "directory to write")
    .requiredOption("--n-train <N>", "train CIFs to take")
    .requiredOption("--n-val <M>", "validation CIFs to take")
    .option("--min-len <L>", "skip CIFs shorter than L tokens", "1")
    .option("--seed <s>", "shuffle seed", "1337")
    .option("--allow-fewer", "take all there is when a stream has fewer CIFs than asked", false)
    .addHelpText(
      "after",
      `
Examples:
  $ deno task crystallm data subset --in data/official/tokens --out data/mix10000 --n-train 9000 --n-val 1000 --min-len 32
  $ deno task crystallm data subset --in out/perov5 --out out/tiny --n-train 50 --n-val 5 --allow-fewer`,
    )
    .action(async (
      opts: {
        in: string;
        out: string;
        nTrain: string;
        nVal: string;
        minLen: string;
        seed: string;
        allowFewer: boolean;
      },
      cmd: Command,
    ) => {
      const options = {
        nTrain: nonNegInt(cmd, "--n-train", opts.nTrain),
        nVal: nonNegInt(cmd, "--n-val", opts.nVal),
        minLen: nonNegInt(cmd, "--min-len", opts.minLen),
        seed: nonNegInt(cmd, "--seed", opts.seed),
        allowFewer: opts.allowFewer,
      };
      try {
        const m = await subsetTokenized(opts.in, opts.out, options);
        await writeManifest(opts.out, m);
        console.log(
          `wrote ${opts.out}: train ${m.train.taken} CIFs (${m.train.tokens} tokens), val ${m.val.taken} CIFs (${m.val.tokens} tokens)`,
        );
      } catch (e) {
        if (e instanceof SubsetError || e instanceof MetaError) {
          cmd.error(`error: ${e.message}`, { exitCode: 2 });
        }
        throw e;
      }
    });

  data.command("build")
    .description("symmetrize → preprocess → deduplicate → split → tokenize → write, with a manifest")
    .requiredOption(
      "--source <path...>",
      "directories of .cif, .cif files, .csv/.csv.gz with a cif column, .tar.gz",
    )
    .requiredOption(
      "--out <token_dir>",
      "directory to write train.bin, val.bin, meta.pkl, index.json, manifest.json",
    )
    .option("--val-fraction <f>", "fraction of CIFs for val.bin", "0.1")
    .option("--seed <s>", "split seed", "1337")
    .addOption(
      new Option("--symprec <angstrom>", "symmetry tolerance (CrystaLLM uses 0.1)").default(0.1).argParser(
        parseFloat,
      ),
    )
    .option("--no-symmetrize", "inputs are already CifWriter output")
    .option("--no-dedupe", "keep every CIF (skip upstream's lowest-volume-per-formula-unit rule)")
    .option(
      "--workers <n>",
      "worker threads for symmetrization",
      String(Math.min(8, navigator.hardwareConcurrency || 1)),
    )
    .option("--no-progress", "no progress bar")
    .addHelpText(
      "after",
      `
Examples:
  $ deno task crystallm data build --source ../shared/data/crystallm-benchmarks/perov_5/val.csv.gz --out out/perov5
  $ deno task crystallm data build --source fixtures/nacl10 fixtures/mix154 --out out/mix --val-fraction 0.2 --seed 7`,
    )
    .action(async (
      opts: {
        source: string[];
        out: string;
        valFraction: string;
        seed: string;
        symprec: number;
        symmetrize: boolean;
        dedupe: boolean;
        workers: string;
        progress: boolean;
      },
      cmd: Command,
    ) => {
      const valFraction = Number(opts.valFraction);
      if (!(valFraction >= 0 && valFraction <= 1)) {
        cmd.error(`error: --val-fraction must be in [0, 1], got ${opts.valFraction}`, { exitCode: 2 });
      }
      if (!(opts.symprec > 0)) {
        cmd.error(`error: --symprec must be positive, got ${opts.symprec}`, { exitCode: 2 });
      }
      try {
        const m = await buildDataset(opts.source, opts.out, {
          valFraction,
          seed: nonNegInt(cmd, "--seed", opts.seed),
          symprec: opts.symprec,
          symmetrize: opts.symmetrize ? undefined : keepAsIs,
          dedupe: opts.dedupe,
          workers: Math.max(1, nonNegInt(cmd, "--workers", opts.workers)),
          progress: opts.progress && Deno.stderr.isTerminal(),
        });
        await writeManifest(opts.out, m);
        const c = m.counts;
        console.log(
          `read ${c.read} CIFs: kept ${c.kept} (train ${c.train}, val ${c.val}), dropped ${c.dropped}, failed ${c.failed}`,
        );
        for (const [r, n] of Object.entries({ ...c.droppedByReason })) console.log(`  dropped ${n} × ${r}`);
        for (const [r, n] of Object.entries({ ...c.failedByReason })) console.log(`  failed ${n} × ${r}`);
        console.log(
          `tokens: train ${m.tokens.train}, val ${m.tokens.val}, <unk> ${m.tokens.unk}; ${m.cifsPerSecond} CIFs/s`,
        );
        console.log(`wrote ${opts.out}/manifest.json`);
      } catch (e) {
        if (e instanceof SourceError) cmd.error(`error: ${e.message}`, { exitCode: 2 });
        throw e;
      }
    });

  return data;
}
