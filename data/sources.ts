/**
 * Reading CIFs from the sources `crystallm data build` accepts: a directory of
 * `.cif` files, a single `.cif`, a CSV with a `cif` column (the CDVAE/CrystaLLM
 * benchmark format, plain or `.gz`), and a `.tar.gz`/`.tgz` of CIFs.
 *
 * @module
 */
import { basename, join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { gunzipSync } from "fflate";
import { sha256 } from "../core/hash.ts";

/** One CIF read from a source. */
export interface CifRecord {
  /** Stable id: `<source name>:<material_id | row | member path>`. */
  id: string;
  /** The source path it came from. */
  source: string;
  /** The CIF text. */
  text: string;
}

/** What kind of source a path is. */
export type SourceKind = "cif_dir" | "cif_file" | "csv" | "tar_gz";

/** One source as the manifest records it. */
export interface SourceInfo {
  path: string;
  kind: SourceKind;
  /** sha256 of the file; for a directory, of the sorted `name  sha256` lines of its CIFs. */
  sha256: string;
  /** CIFs read from it. */
  cifs: number;
  /** Set when the source could not be read at all (corrupt archive, CSV without a `cif` column). */
  error?: string;
}

/** Thrown for a source path that does not exist or has an unknown kind (a usage mistake). */
export class SourceError extends Error {
  override name = "SourceError";
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Classify a source path.
 *
 * @param path A path given to `--source`.
 * @returns Its kind.
 * @throws {SourceError} When it does not exist or is not a known kind.
 */
export function sourceKind(path: string): SourceKind {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    throw new SourceError(`Cannot read source ${path}: no such file or directory`);
  }
  if (info.isDirectory) return "cif_dir";
  const lower = path.toLowerCase();
  if (lower.endsWith(".cif")) return "cif_file";
  if (lower.endsWith(".csv") || lower.endsWith(".csv.gz")) return "csv";
  if (lower.endsWith(".tar.gz") || lower.endsWith(".tgz")) return "tar_gz";
  throw new SourceError(
    `Cannot read source ${path}: expected a directory of .cif files, a .cif, a .csv/.csv.gz with a cif column or a .tar.gz`,
  );
}

/**
 * Read every CIF of one source. Never throws for a corrupt source: it comes back
 * with `info.error` set and no records, so a build can report it and go on.
 *
 * @param path The source path.
 * @returns The records and the manifest entry.
 * @throws {SourceError} Only when the path does not exist or has an unknown kind.
 */
export async function readSource(path: string): Promise<{ records: CifRecord[]; info: SourceInfo }> {
  const kind = sourceKind(path);
  const name = basename(path);
  const info: SourceInfo = { path, kind, sha256: "", cifs: 0 };
  const records: CifRecord[] = [];
  try {
    if (kind === "cif_dir") {
      const names = [...Deno.readDirSync(path)].filter((e) =>
        e.isFile && e.name.toLowerCase().endsWith(".cif")
      )
        .map((e) => e.name).sort();
      const lines: string[] = [];
      for (const n of names) {
        const bytes = await Deno.readFile(join(path, n));
        lines.push(`${n}  ${sha256(bytes)}`);
        records.push({ id: `${name}:${n}`, source: path, text: decoder.decode(bytes) });
      }
      info.sha256 = sha256(lines.join("\n") + "\n");
    } else {
      const bytes = await Deno.readFile(path);
      info.sha256 = sha256(bytes);
      if (kind === "cif_file") records.push({ id: name, source: path, text: decoder.decode(bytes) });
      else if (kind === "csv") records.push(...csvRecords(path, name, bytes));
      else records.push(...tarRecords(path, name, gunzip(bytes, path)));
    }
  } catch (e) {
    info.error = e instanceof Error ? e.message : String(e);
    records.length = 0;
  }
  info.cifs = records.length;
  return { records, info };
}

function gunzip(bytes: Uint8Array, path: string): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new Error(`Cannot read ${path}: not valid gzip (${e instanceof Error ? e.message : e})`);
  }
}

function csvRecords(path: string, name: string, bytes: Uint8Array): CifRecord[] {
  const text = decoder.decode(path.toLowerCase().endsWith(".gz") ? gunzip(bytes, path) : bytes);
  const rows = parseCsv(text, { columns: true, skip_empty_lines: true, relax_column_count: true }) as Record<
    string,
    string
  >[];
  if (rows.length && !("cif" in rows[0])) {
    throw new Error(`Cannot read ${path}: no cif column (columns: ${Object.keys(rows[0]).join(", ")})`);
  }
  return rows.map((row, i) => ({
    id: `${name}:${row.material_id || row.id || String(i)}`,
    source: path,
    text: row.cif ?? "",
  }));
}

/**
 * The regular files of a tar archive (ustar, GNU long names and pax paths).
 *
 * @param tar Uncompressed tar bytes.
 * @returns `[path, contents]` pairs in archive order.
 * @throws {Error} On a truncated archive.
 */
export function untar(tar: Uint8Array): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const str = (a: number, b: number) => {
    const s = decoder.decode(tar.subarray(a, b));
    const nul = s.indexOf("\0");
    return nul < 0 ? s : s.slice(0, nul);
  };
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(str(off + 124, off + 136).trim() || "0", 8);
    const type = String.fromCharCode(header[156] || 0x30);
    const prefix = str(off + 345, off + 500);
    const name = longName ?? (prefix ? `${prefix}/${str(off, off + 100)}` : str(off, off + 100));
    const start = off + 512, end = start + size;
    if (end > tar.length) throw new Error(`Cannot read tar member ${name}: archive is truncated`);
    const data = tar.subarray(start, end);
    longName = undefined;
    if (type === "L") longName = decoder.decode(data).replace(/\0+$/, "");
    else if (type === "x") {
      const m = /\d+ path=([^\n]*)\n/.exec(decoder.decode(data));
      if (m) longName = m[1];
    } else if (type === "0" || type === "\0" || type === "7") {
      out.push([name, data]);
    }
    off = start + Math.ceil(size / 512) * 512;
  }
  return out;
}

function tarRecords(path: string, name: string, tar: Uint8Array): CifRecord[] {
  return untar(tar)
    .filter(([member]) => member.toLowerCase().endsWith(".cif"))
    .map(([member, data]) => ({ id: `${name}:${member}`, source: path, text: decoder.decode(data) }));
}
