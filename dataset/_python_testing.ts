/**
 * Test helper: run Debian's `/usr/bin/python3` (pickle, numpy) on a script. Tests only.
 *
 * @module
 */

/** The Python used for round-trip tests; override with `CRYSTALLM_PYTHON`. */
export const PYTHON: string = Deno.env.get("CRYSTALLM_PYTHON") ?? "/usr/bin/python3";

/** True when {@linkcode PYTHON} runs and imports numpy. */
export const HAS_PYTHON: boolean = (() => {
  try {
    return new Deno.Command(PYTHON, { args: ["-c", "import numpy, pickle"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();
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
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", script, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) throw new Error(`Python failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}
