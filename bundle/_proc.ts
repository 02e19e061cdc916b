/**
 * Child processes of `bundle create` (deno cache, tar, xz), tracked so that an interrupt can
 * stop them before the temporary folder they write into is removed.
 *
 * @module
 */

const running = new Set<Deno.ChildProcess>();

/** Run a command to completion, asynchronously, with its output captured. */
export async function runChild(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Deno.CommandOutput> {
  const child = new Deno.Command(cmd, { args, ...options, stdout: "piped", stderr: "piped" }).spawn();
  running.add(child);
  try {
    return await child.output();
  } finally {
    running.delete(child);
  }
}

/** Kill every running child and wait until they are gone. */
export async function killChildren(): Promise<void> {
  const all = [...running];
  for (const c of all) {
    try {
      c.kill("SIGKILL");
    } catch { /* already exited */ }
  }
  await Promise.allSettled(all.map((c) => c.status));
}
