/**
 * Helpers of the sweep tests (sweep_test.ts, slurm_test.ts): a merged sweep compared with
 * `crystallm run` of the same experiment, and a sweep's run folder seeded with a run's stages.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const read = (p: string) => Deno.readTextFileSync(p);

/** The stage fingerprint and the CIF files (name → text) of a generations folder. */
function generationsOf(run: string, rawDir: string) {
  const dir = join(run, rawDir);
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".cif")).sort();
  return {
    fingerprint: JSON.parse(read(join(dir, "manifest.json"))).fingerprint,
    files: Object.fromEntries(files.map((f) => [f, read(join(dir, f))])),
  };
}

/**
 * Assert that run folder `b` (a merged sweep) equals `a` (`crystallm run`): metrics.json and
 * summary.csv byte for byte, and in each generations folder the same CIF files with the same
 * bytes and the same stage fingerprint.
 *
 * @param rawDirs Generations folders relative to the run: `sample/<model>/<prompt>/t<T>/raw`,
 *   `csp/<model>/raw`.
 */
export function assertSameRun(a: string, b: string, rawDirs: string[]): void {
  assert.equal(read(join(b, "metrics.json")), read(join(a, "metrics.json")));
  assert.equal(read(join(b, "summary.csv")), read(join(a, "summary.csv")));
  for (const d of rawDirs) assert.deepEqual(generationsOf(b, d), generationsOf(a, d), d);
}

/**
 * Copy stages of a finished run into a sweep's run folder, so that the sweep finds them done
 * (training twice would only repeat the runner's train stage, which is not what is under test).
 */
export async function seedStages(fromRun: string, toRun: string, stages: string[] = ["dataset", "train"]): Promise<void> {
  await Deno.mkdir(toRun, { recursive: true });
  for (const d of stages) {
    const r = await new Deno.Command("cp", { args: ["-r", join(fromRun, d), join(toRun, d)] }).output();
    assert.ok(r.success, `cp ${d}: ${new TextDecoder().decode(r.stderr)}`);
  }
}
