/**
 * Expanding `<file|dir>...` command-line arguments into CIF files.
 *
 * @module
 */
import { join } from "node:path";

/**
 * List the CIF files named by paths: files as given, directories scanned (not
 * recursively) for `*.cif`, sorted by name.
 *
 * @param paths Files and directories.
 * @returns File paths in argument order, each directory's files sorted.
 * @throws {Error} When a path does not exist: "Cannot read <path>: no such file or directory".
 */
export function listCifFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(p);
    } catch {
      throw new Error(`Cannot read ${p}: no such file or directory`);
    }
    if (info.isDirectory) {
      const names = [...Deno.readDirSync(p)].filter((e) => e.isFile && e.name.toLowerCase().endsWith(".cif"))
        .map((e) => e.name).sort();
      for (const n of names) out.push(join(p, n));
    } else out.push(p);
  }
  return out;
}

/**
 * Read a file as text without throwing on invalid UTF-8 (bad bytes become U+FFFD).
 *
 * @param path File path.
 * @returns The text.
 */
export function readText(path: string): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(Deno.readFileSync(path));
}
