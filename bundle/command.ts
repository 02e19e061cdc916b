/**
 * `crystallm bundle create|verify`: offline bundles for servers with no network.
 *
 * @module
 */
import { Command } from "commander";
import { basename, join, resolve } from "node:path";
import { createBundle } from "./create.ts";
import { parseSize } from "./archive.ts";
import { verify } from "./target.ts";

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Unpack an archive (or its first part's set) into a temporary folder and return the bundle in it. */
function unpack(archive: string): { dir: string; tmp: string } {
  const tmp = Deno.makeTempDirSync({ prefix: "crystallm-verify-" });
  const o = new Deno.Command("tar", { args: ["-xJf", archive, "-C", tmp], stderr: "piped" }).outputSync();
  if (!o.success) {
    Deno.removeSync(tmp, { recursive: true });
    throw new Error(`Cannot unpack ${archive}: ${new TextDecoder().decode(o.stderr).trim()}`);
  }
  const top = [...Deno.readDirSync(tmp)].filter((e) => e.isDirectory);
  if (top.length !== 1) {
    throw new Error(`Cannot verify ${archive}: expected one folder in it, found ${top.length}`);
  }
  return { dir: join(tmp, top[0].name), tmp };
}

/** `crystallm bundle`. */
export function bundleCommand(): Command {
  const bundle = new Command("bundle").description(
    "offline bundles: pack experiments for a server with no network",
  );
  bundle.command("create")
    .description(
      "write a self-contained bundle folder (Deno, npm cache, source, native library, experiments)",
    )
    .requiredOption("--out <dir>", "bundle folder to create (must not exist)")
    .option("--experiment <name>", "experiment to include (repeatable; default: all)", collect, [])
    .option("--checkpoint <path>", "extra checkpoint file or folder to include (repeatable)", collect, [])
    .option("--data <path>", "extra data file or folder to include (repeatable)", collect, [])
    .option("--with-libtorch", "include the libtorch libraries libcrystallm.so links against", false)
    .option(
      "--engine <engine>",
      "libtorch (the native library; the target trains and samples) or onnx (the models trained here and " +
        "exported to ONNX, sampled with onnxruntime-node: no libtorch, nothing to build)",
      "libtorch",
    )
    .option("--archive", "also write <out>.tar.xz (deterministic) and <out>.tar.xz.sha256", false)
    .option("--split <size>", "split the archive into parts of this size, e.g. 50M (implies --archive)")
    .addHelpText(
      "after",
      `
Examples:
  $ deno task crystallm bundle create --out ../nacl10-bundle --experiment nacl10 --archive
  $ deno task crystallm bundle create --out ../nacl10-onnx --experiment nacl10 --engine onnx --archive
  $ deno task crystallm bundle create --out /data/b --experiment demo5 --checkpoint ~/crystallm_v1_small --split 50M`,
    )
    .action(async (opts: {
      out: string;
      experiment: string[];
      checkpoint: string[];
      data: string[];
      withLibtorch: boolean;
      engine: string;
      archive: boolean;
      split?: string;
    }) => {
      let split: number | undefined;
      try {
        split = opts.split ? parseSize(opts.split) : undefined;
      } catch (e) {
        bundle.error((e as Error).message, { exitCode: 2 });
      }
      if (opts.engine !== "libtorch" && opts.engine !== "onnx") {
        bundle.error(`--engine must be libtorch or onnx, got ${opts.engine}`, { exitCode: 2 });
      }
      if (opts.engine === "onnx" && opts.withLibtorch) {
        bundle.error(
          "--with-libtorch and --engine onnx exclude each other: an ONNX bundle carries no libtorch",
          {
            exitCode: 2,
          },
        );
      }
      try {
        const r = await createBundle({
          out: opts.out,
          experiments: opts.experiment,
          checkpoints: opts.checkpoint,
          data: opts.data,
          withLibtorch: opts.withLibtorch,
          engine: opts.engine as "libtorch" | "onnx",
          archive: opts.archive || !!split,
          split,
        });
        const sizes = r.info.sizes as Record<string, number>;
        console.log(`bundle: ${r.dir} (${(sizes.total / 2 ** 20).toFixed(1)} MiB)`);
        console.log(`manifest-sha256.txt SHA-256: ${r.manifestSha256}`);
        if (r.archive) {
          console.log(
            `archive: ${r.archive.path} (${
              (r.archive.bytes / 2 ** 20).toFixed(1)
            } MiB) sha256 ${r.archive.sha256}`,
          );
          for (const p of r.archive.parts) console.log(`  part: ${basename(p)}`);
        }
      } catch (e) {
        console.error((e as Error).message);
        Deno.exit(1);
      }
    });
  bundle.command("verify")
    .description("check a bundle folder or archive: every file, glibc, the native library, the GPU driver")
    .argument("<bundle>", "bundle folder or .tar.xz archive")
    .action(async (path: string) => {
      let dir = resolve(path);
      let tmp: string | undefined;
      try {
        if (Deno.statSync(dir).isFile) ({ dir, tmp } = unpack(dir));
        Deno.exitCode = await verify(dir);
      } catch (e) {
        console.error((e as Error).message);
        Deno.exitCode = 2;
      } finally {
        if (tmp) Deno.removeSync(tmp, { recursive: true });
      }
    });
  return bundle;
}
