/**
 * Test helper: run Debian's `/usr/bin/python3` (pickle, numpy) on a script. Tests only; the
 * child starts through `tests/python.ts`, with its CPU dispatch pinned.
 *
 * @module
 */
import { hasPython, PYTHON, runPython as runReference } from "../tests/python.ts";

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
