/**
 * Running a shard table on this machine with J workers, each a `crystallm shard run` process;
 * with CUDA devices, worker w sees one GPU (`CUDA_VISIBLE_DEVICES`), as upstream's
 * `generate_cifs.py` splits work across GPUs.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";

/**
 * The command that runs `crystallm`: the bundle's launcher when this runs from an offline
 * bundle (`CRYSTALLM_BUNDLE`, set by bundle/launcher.sh), else this Deno on the checkout.
 */
export function launcher(): string[] {
  const bundle = Deno.env.get("CRYSTALLM_BUNDLE");
  if (bundle && existsSync(join(bundle, "crystallm"))) return [join(bundle, "crystallm")];
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--config",
    join(REPO_ROOT, "deno.json"),
    join(REPO_ROOT, "tasks", "crystallm.ts"),
  ];
}

/** The GPUs workers are spread over: `CUDA_VISIBLE_DEVICES`, else `nvidia-smi -L`, else none. */
export function visibleGpus(): string[] {
  const env = Deno.env.get("CUDA_VISIBLE_DEVICES");
  if (env !== undefined) return env.split(",").map((s) => s.trim()).filter((s) => s !== "" && s !== "-1");
  try {
    const r = new Deno.Command("nvidia-smi", { args: ["-L"], stdout: "piped", stderr: "null" }).outputSync();
    if (!r.success) return [];
    return new TextDecoder().decode(r.stdout).split("\n").filter((l) => l.startsWith("GPU ")).map((_, i) =>
      String(i)
    );
  } catch {
    return [];
  }
}

/**
 * Run shards with `jobs` worker processes; each worker takes the next shard when it is free.
 *
 * @param runDir The sweep's run directory.
 * @param indices The shards to run.
 * @param options `jobs`, `cuda` (spread workers over GPUs: the experiment samples on `cuda`; a
 *   `cuda:N` it names keeps every worker on that GPU), `log`, `command` (instead of
 *   {@link launcher}; it gets `shard run <run_dir> <index>`).
 * @returns The shards whose process failed, with its exit code.
 */
export async function runShardsLocally(
  runDir: string,
  indices: number[],
  options: { jobs: number; cuda?: boolean; log?: (l: string) => void; command?: string[] },
): Promise<{ index: number; code: number }[]> {
  const log = options.log ?? ((l: string) => console.error(l));
  const gpus = options.cuda ? visibleGpus() : [];
  const queue = [...indices];
  const failed: { index: number; code: number }[] = [];
  const [cmd, ...pre] = options.command ?? launcher();
  const worker = async (w: number) => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const env: Record<string, string> = {};
      if (gpus.length) env.CUDA_VISIBLE_DEVICES = gpus[w % gpus.length];
      const p = new Deno.Command(cmd, {
        args: [...pre, "shard", "run", runDir, String(next)],
        env,
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
      const { code } = await p.status;
      if (code !== 0) {
        failed.push({ index: next, code });
        log(`[shard ${next}] failed with exit code ${code}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, (_, w) => worker(w)));
  return failed.sort((a, b) => a.index - b.index);
}
