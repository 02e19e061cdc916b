/**
 * `crystallm postprocess <in_dir> <out_dir>`: upstream's `bin/postprocess.py` over a folder.
 *
 * Try the following:
 * ```sh
 * deno task crystallm postprocess out/gen_raw out/gen
 * deno task crystallm postprocess fixtures/nacl10 /tmp/nacl10_pp
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { Command } from "commander";
import { readCifSet } from "../cif/cif_set.ts";
import { postprocessDir } from "./postprocess_dir.ts";

/**
 * The `postprocess` subcommand.
 *
 * @returns A commander command.
 */
export function postprocessCommand(): Command {
  return new Command("postprocess")
    .description(
      "restore full symmetry-operator loops and drop the atomic-properties block (bin/postprocess.py)",
    )
    .argument("<in_dir>", "folder of generated *.cif files, or a .tar.gz of them (upstream's format)")
    .argument("<out_dir>", "output folder (same file names, plus manifest.json)")
    .addHelpText(
      "after",
      `
Examples:
  $ crystallm postprocess out/gen_raw out/gen
  $ crystallm postprocess fixtures/nacl10 /tmp/nacl10_pp`,
    )
    .action((inDir: string, outDir: string, _opts: unknown, cmd: Command) => {
      try {
        Deno.statSync(inDir);
      } catch {
        cmd.error(`error: Cannot read ${inDir}: no such file or directory`, { exitCode: 2 });
      }
      let n = 0;
      try {
        n = readCifSet(inDir).length;
      } catch (e) {
        cmd.error(`error: ${(e as Error).message}`, { exitCode: 2 });
      }
      if (n === 0) cmd.error(`error: Cannot postprocess ${inDir}: it holds no CIF files (*.cif)`, { exitCode: 2 });
      const r = postprocessDir(inDir, outDir);
      // the report as manifest.json, written to a temporary name and renamed
      const tmp = join(outDir, `.manifest.json.${Deno.pid}.tmp`);
      Deno.writeTextFileSync(tmp, JSON.stringify(r.manifest, null, 2) + "\n");
      Deno.renameSync(tmp, join(outDir, "manifest.json"));
      console.error(
        `post-processed ${r.n_files} CIFs into ${outDir} (${r.n_failures} could not be post-processed)`,
      );
    });
}
