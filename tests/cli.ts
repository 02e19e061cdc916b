/**
 * Running `tasks/crystallm.ts` as a user would, for CLI tests.
 *
 * @module
 */
import { join } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";

/** Exit code and output of one CLI call. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `crystallm <args>` in a subprocess.
 *
 * @param args Command-line arguments.
 * @param env Extra environment (e.g. `{ CI: "" }`).
 * @returns Exit code and decoded output.
 */
export async function crystallm(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "tasks/crystallm.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
    env,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
