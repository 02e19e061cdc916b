/**
 * Test helper: run Debian's Python (`/usr/bin/python3`, with numpy and python3-torch) on a
 * script, feeding bytes on stdin and returning stdout bytes. Private to tests.
 *
 * @module
 */

/** Path of the Python used for round-trip tests; override with `CRYSTALLM_PYTHON`. */
export const PYTHON: string = Deno.env.get("CRYSTALLM_PYTHON") ?? "/usr/bin/python3";

/**
 * Whether {@linkcode PYTHON} exists and imports the given modules.
 *
 * @param modules Modules that must import, e.g. `["torch"]`.
 * @returns `true` when usable.
 */
export function hasPython(modules: string[] = []): boolean {
  try {
    const out = new Deno.Command(PYTHON, {
      args: ["-c", modules.map((m) => `import ${m}`).join(";") || "pass"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Run a Python script.
 *
 * @param script Python source; reads `sys.stdin.buffer`, writes `sys.stdout.buffer`.
 * @param input Bytes for stdin.
 * @param args Extra `sys.argv` entries.
 * @returns stdout.
 * @throws {Error} With Python's stderr when it exits non-zero.
 */
export async function runPython(
  script: string,
  input?: Uint8Array,
  args: string[] = [],
): Promise<Uint8Array> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", script, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { OMP_NUM_THREADS: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  if (input) await writer.write(input);
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`Python failed: ${new TextDecoder().decode(out.stderr)}`);
  return out.stdout;
}
