/**
 * Test helper: run Debian's Python (`/usr/bin/python3`, with numpy and python3-torch) on a
 * script, feeding bytes on stdin and returning stdout bytes. Private to tests; the child
 * starts through `tests/python.ts`, with its CPU dispatch pinned.
 *
 * @module
 */
import { hasPython, PYTHON, runPython as runReference } from "../tests/python.ts";

export { hasPython, PYTHON };

/**
 * Run a Python script.
 *
 * @param script Python source; reads `sys.stdin.buffer`, writes `sys.stdout.buffer`.
 * @param input Bytes for stdin.
 * @param args Extra `sys.argv` entries.
 * @returns stdout.
 * @throws {Error} With Python's stderr when it exits non-zero.
 */
export function runPython(
  script: string,
  input?: Uint8Array,
  args: string[] = [],
): Promise<Uint8Array> {
  return runReference(["-c", script, ...args], input, { OMP_NUM_THREADS: "1" });
}
