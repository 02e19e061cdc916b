/**
 * The integrity manifest of an offline bundle, in BagIt layout (RFC 8493):
 *
 * ```
 * <bundle>/bagit.txt                 "BagIt-Version: 1.0"
 * <bundle>/bag-info.txt              Payload-Oxum, Bag-Software-Agent, …
 * <bundle>/manifest-sha256.txt       `sha256sum` lines for every file under data/
 * <bundle>/tagmanifest-sha256.txt    the same for the top-level files (launcher, bundle.json, …)
 * <bundle>/data/…                    the payload
 * <bundle>/var/                      writable run state, never checked
 * ```
 *
 * Only `node:` built-ins are imported here, so the check runs even when the npm cache of a
 * bundle is damaged.
 *
 * @module
 */
import { hashFile as sha256File } from "../core/hash.ts";
import { join } from "node:path";

/** Top-level folder of a bundle that holds run state and is not part of the bag. */
export const STATE_DIR = "var";

/** SHA-256 of a file, streamed (core's `hashFile`, under the name bundle/ uses). */
export { sha256File };

/**
 * Every file under `root` (relative, `/`-separated, sorted by byte order), following no
 * symbolic link.
 *
 * @param root Folder to list.
 * @param skip Relative paths (files or folders) to leave out.
 */
export function listTree(root: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(rel ? join(root, rel) : root)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip(r)) continue;
      if (e.isDirectory) walk(r);
      else out.push(r);
    }
  };
  walk("");
  return out.sort(byteOrder);
}

/** Sort strings by their UTF-8 bytes (what `LC_ALL=C sort` and `tar --sort=name` do). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A `sha256sum` line: hash, two spaces, path. */
export function manifestText(entries: Map<string, string>): string {
  return [...entries.keys()].sort(byteOrder).map((p) => `${entries.get(p)}  ${p}\n`).join("");
}

/**
 * Parse a `sha256sum` file.
 *
 * @throws {Error} On a line that is not `<64 hex>  <path>`.
 */
export function parseManifest(text: string, file: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const [i, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const hit = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!hit) throw new Error(`Cannot read ${file}: line ${i + 1} is not "<sha256>  <path>"`);
    m.set(hit[2], hit[1]);
  }
  return m;
}

/** Files of the bag: the payload manifest and the tag manifest. */
export const MANIFEST = "manifest-sha256.txt";
/** Tag manifest (hashes of the top-level files, the payload manifest among them). */
export const TAGMANIFEST = "tagmanifest-sha256.txt";

/**
 * Write bagit.txt, bag-info.txt, manifest-sha256.txt and tagmanifest-sha256.txt into a bundle
 * whose payload is complete under data/ and whose other top-level files are written.
 *
 * @param dir Bundle folder.
 * @param info bag-info.txt fields, written in the given order.
 * @returns SHA-256 of manifest-sha256.txt.
 */
export async function writeBag(dir: string, info: [string, string][]): Promise<string> {
  const payload = new Map<string, string>();
  let bytes = 0;
  for (const rel of listTree(join(dir, "data"))) {
    const p = `data/${rel}`;
    payload.set(p, await sha256File(join(dir, p)));
    bytes += Deno.statSync(join(dir, p)).size;
  }
  await Deno.writeTextFile(
    join(dir, "bagit.txt"),
    "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
  );
  const fields: [string, string][] = [["Payload-Oxum", `${bytes}.${payload.size}`], ...info];
  await Deno.writeTextFile(join(dir, "bag-info.txt"), fields.map(([k, v]) => `${k}: ${v}\n`).join(""));
  await Deno.writeTextFile(join(dir, MANIFEST), manifestText(payload));
  const tags = new Map<string, string>();
  for (const rel of listTree(dir, (r) => r === "data" || r === STATE_DIR || r === TAGMANIFEST)) {
    tags.set(rel, await sha256File(join(dir, rel)));
  }
  await Deno.writeTextFile(join(dir, TAGMANIFEST), manifestText(tags));
  return await sha256File(join(dir, MANIFEST));
}

/** What {@linkcode checkBag} found. */
export interface BagCheck {
  /** Files named by a manifest and absent. */
  missing: string[];
  /** Files whose SHA-256 differs from the manifest. */
  changed: string[];
  /** Files present and named by no manifest (var/ aside). */
  extra: string[];
  /** Files checked and intact. */
  ok: number;
  /** SHA-256 of manifest-sha256.txt. */
  manifestSha256: string;
  /** Payload-Oxum mismatch or malformed bag files. */
  problems: string[];
}

/**
 * Check every file of a bundle against its manifests.
 *
 * @param dir Bundle folder.
 * @param onProgress Called with each file checked.
 * @throws {Error} When bagit.txt or manifest-sha256.txt is missing: not a bundle.
 */
export async function checkBag(dir: string, onProgress?: (rel: string) => void): Promise<BagCheck> {
  for (const f of ["bagit.txt", MANIFEST]) {
    try {
      Deno.statSync(join(dir, f));
    } catch {
      throw new Error(`Cannot verify ${dir}: no ${f}, so it is not a crystallm bundle (or it is incomplete)`);
    }
  }
  const res: BagCheck = { missing: [], changed: [], extra: [], ok: 0, manifestSha256: "", problems: [] };
  res.manifestSha256 = await sha256File(join(dir, MANIFEST));
  const expected = parseManifest(await Deno.readTextFile(join(dir, MANIFEST)), MANIFEST);
  let tagText = "";
  try {
    tagText = await Deno.readTextFile(join(dir, TAGMANIFEST));
  } catch {
    res.problems.push(`no ${TAGMANIFEST}: the launcher and bundle.json cannot be checked`);
  }
  for (const [p, h] of parseManifest(tagText, TAGMANIFEST)) expected.set(p, h);
  if (!/^BagIt-Version: 1\.\d+/m.test(await Deno.readTextFile(join(dir, "bagit.txt")))) {
    res.problems.push("bagit.txt has no BagIt-Version line");
  }
  const present = new Set(listTree(dir, (r) => r === STATE_DIR));
  for (const [p, h] of [...expected].sort((a, b) => byteOrder(a[0], b[0]))) {
    if (!present.has(p)) {
      res.missing.push(p);
      continue;
    }
    onProgress?.(p);
    if ((await sha256File(join(dir, p))) === h) res.ok++;
    else res.changed.push(p);
  }
  for (const p of present) if (!expected.has(p) && p !== TAGMANIFEST) res.extra.push(p);
  return res;
}
