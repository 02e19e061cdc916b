/**
 * Small private helpers shared by the dataset commands: manifests and file existence.
 *
 * @module
 */
import { join } from "node:path";

/** Write `manifest.json` (two-space JSON, final newline) into a folder: to a temporary name, then renamed. */
export async function writeManifest(dir: string, manifest: unknown): Promise<void> {
  const tmp = join(dir, `.manifest.json.${Deno.pid}.tmp`);
  await Deno.writeTextFile(tmp, JSON.stringify(manifest, null, 2) + "\n");
  await Deno.rename(tmp, join(dir, "manifest.json"));
}

/** True when a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
