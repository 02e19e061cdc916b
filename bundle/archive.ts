/**
 * Deterministic archives of a bundle: a `.tar.xz` whose bytes depend only on the files
 * (names sorted, owners 0/0, one fixed mtime, modes as written, single-threaded xz), its
 * `.sha256`, and optional parts for flaky links.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { sha256File } from "./manifest.ts";
import { runChild } from "./_proc.ts";

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    // asynchronous, so that an interrupt reaches bundle create's cleanup while xz works
    out = await runChild(cmd, args, { cwd });
  } catch (e) {
    throw new Error(`Cannot write the archive: ${cmd} is not available (${(e as Error).message})`);
  }
  if (!out.success) {
    throw new Error(
      `Cannot write the archive: ${cmd} failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}

/**
 * Parse a part size: `50M`, `1G`, `500K` (binary units) or bytes.
 *
 * @throws {Error} On anything else.
 */
export function parseSize(text: string): number {
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(text.trim());
  if (!m || Number(m[1]) === 0) {
    throw new Error(`Cannot use --split ${text}: give a size like 50M, 500K or 1G`);
  }
  return Number(m[1]) * ({ "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase()] as number);
}

/**
 * Write `<dest>` (.tar.xz) of folder `dir` (stored under its own name) and `<dest>.sha256`.
 *
 * @param dir Bundle folder.
 * @param dest Archive path.
 * @param mtime Seconds since the epoch stamped on every entry.
 * @returns SHA-256 of the archive.
 * @throws {Error} When GNU tar or xz is missing or fails.
 */
export async function writeArchive(dir: string, dest: string, mtime: number): Promise<string> {
  const tar = dest.replace(/\.xz$/, "");
  await run("tar", [
    "--create",
    `--file=${tar}`,
    `--directory=${dirname(dir)}`,
    "--sort=name",
    "--format=gnu",
    "--numeric-owner",
    "--owner=0",
    "--group=0",
    `--mtime=@${mtime}`,
    "--no-acls",
    "--no-xattrs",
    "--no-selinux",
    basename(dir),
  ]);
  // one thread: multi-threaded xz output depends on the thread count, hence the machine
  // CRYSTALLM_XZ_LEVEL (0-9, default 9): the tests use a fast level; the bytes still depend
  // only on the files and the level
  const level = Deno.env.get("CRYSTALLM_XZ_LEVEL") ?? "9";
  if (!/^[0-9]$/.test(level)) throw new Error(`CRYSTALLM_XZ_LEVEL must be 0-9, got ${level}`);
  await run("xz", ["-T1", `-${level}`, "--force", tar]);
  if (`${tar}.xz` !== dest) await Deno.rename(`${tar}.xz`, dest);
  const sha = await sha256File(dest);
  await Deno.writeTextFile(`${dest}.sha256`, `${sha}  ${basename(dest)}\n`);
  return sha;
}

/**
 * Split a file into `<file>.part-000`, `.part-001`, … of at most `size` bytes and write
 * `<file>.parts.sha256` (the parts, then the joined file, in `sha256sum` format).
 *
 * @param file The archive.
 * @param size Bytes per part.
 * @returns Paths of the parts.
 */
export async function splitFile(file: string, size: number): Promise<string[]> {
  const parts: string[] = [];
  const lines: string[] = [];
  using f = await Deno.open(file);
  const buf = new Uint8Array(Math.min(size, 1 << 20));
  for (let i = 0;; i++) {
    const name = `${file}.part-${String(i).padStart(3, "0")}`;
    let written = 0;
    let out: Deno.FsFile | undefined;
    while (written < size) {
      const n = await f.read(buf.subarray(0, Math.min(buf.length, size - written)));
      if (n === null) break;
      out ??= await Deno.open(name, { write: true, create: true, truncate: true });
      for (let o = 0; o < n;) o += await out.write(buf.subarray(o, n));
      written += n;
    }
    out?.close();
    if (!written) break;
    parts.push(name);
    lines.push(`${await sha256File(name)}  ${basename(name)}`);
    if (written < size) break;
  }
  lines.push(`${await sha256File(file)}  ${basename(file)}`);
  await Deno.writeTextFile(`${file}.parts.sha256`, lines.join("\n") + "\n");
  return parts;
}

/** Where the archive files of a bundle go: beside the bundle folder. */
export function archivePath(out: string): string {
  return join(dirname(out), `${basename(out)}.tar.xz`);
}
