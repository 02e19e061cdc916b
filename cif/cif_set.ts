/**
 * Reading CIF sets for the CSP benchmark: a directory of `*.cif`, a `.tar.gz`
 * of them (upstream's format), or a benchmark CSV (`material_id, cif, …`, plain
 * or gzipped). Used by `match`, `evaluate`, `postprocess` and novelty.
 *
 * @module
 */
import { gunzipSync } from "fflate";
import { parse } from "csv-parse/sync";
import { basename } from "node:path";
import { listCifFiles, readText } from "./files.ts";

/** One CIF with the name it had in its container. */
export interface NamedCif {
  /** File name without folders (`mp-1234__3.cif`), or `<material_id>.cif` for a CSV row. */
  name: string;
  text: string;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/** The regular files of an uncompressed tar archive (ustar, GNU long names, pax paths), in archive order. */
export function untar(tar: Uint8Array): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const str = (a: number, b: number) => decoder.decode(tar.subarray(a, b)).replace(/\0.*$/s, "");
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    const h = off;
    if (tar.subarray(h, h + 512).every((x) => x === 0)) break;
    let name = str(h, h + 100);
    const prefix = str(h + 345, h + 500);
    if (prefix) name = `${prefix}/${name}`;
    const size = parseInt(str(h + 124, h + 136).trim() || "0", 8);
    const type = String.fromCharCode(tar[h + 156]);
    const start = h + 512, end = start + size;
    if (end > tar.length) throw new Error(`Cannot read tar member ${name}: archive is truncated`);
    const data = tar.subarray(start, end);
    if (type === "L") longName = decoder.decode(data).replace(/\0.*$/s, "");
    else if (type === "x") {
      const m = decoder.decode(data).match(/\d+ path=([^\n]*)\n/);
      if (m) longName = m[1];
    } else {
      if (type === "0" || type === "\0" || type === "7") out.push([longName ?? name, data]);
      longName = undefined;
    }
    off = start + Math.ceil(size / 512) * 512;
  }
  return out;
}

/**
 * Read the CIFs of a directory, `.tar.gz`/`.tgz`, or benchmark CSV.
 *
 * @param path The container.
 * @returns The CIFs: a directory's sorted by name, an archive's in member order, a CSV's in row order.
 * @throws {Error} When the path is missing or of an unknown kind.
 */
export function readCifSet(path: string): NamedCif[] {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch {
    throw new Error(`Cannot read ${path}: no such file or directory`);
  }
  if (info.isDirectory) {
    return listCifFiles([path]).map((f) => ({ name: basename(f), text: readText(f) }));
  }
  const lower = path.toLowerCase();
  const bytes = Deno.readFileSync(path);
  if (lower.endsWith(".tar.gz") || lower.endsWith(".tgz")) {
    return untar(gunzipSync(bytes)).filter(([n]) => n.toLowerCase().endsWith(".cif"))
      .map(([n, d]) => ({ name: basename(n), text: decoder.decode(d) }));
  }
  if (lower.endsWith(".csv") || lower.endsWith(".csv.gz")) {
    const text = decoder.decode(lower.endsWith(".gz") ? gunzipSync(bytes) : bytes);
    const rows = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
    if (rows.length && !("cif" in rows[0])) throw new Error(`Cannot read ${path}: the CSV has no cif column`);
    return rows.map((r, i) => ({ name: `${r.material_id ?? r.id ?? String(i)}.cif`, text: r.cif }));
  }
  if (lower.endsWith(".cif")) return [{ name: basename(path), text: decoder.decode(bytes) }];
  throw new Error(
    `Cannot read ${path}: expected a directory of .cif files, a .tar.gz of them or a benchmark .csv(.gz)`,
  );
}
