/**
 * Reading the CSV corpora of `../shared/data` (optionally gzipped) for tests and benchmarks.
 *
 * @module
 */
import { gunzipSync } from "fflate";
import { parse } from "csv-parse/sync";
import { sharedPath } from "../core/paths.ts";

/**
 * Rows of a corpus CSV as objects.
 *
 * @param rel Path under the shared folder, e.g. `data/crystallm-benchmarks/perov_5/val.csv.gz`.
 * @param limit Keep at most this many rows.
 * @returns The rows.
 */
export function readCorpus(rel: string, limit = Infinity): Record<string, string>[] {
  const path = sharedPath(rel);
  let bytes: Uint8Array = Deno.readFileSync(path);
  if (path.endsWith(".gz")) bytes = gunzipSync(bytes);
  const rows = parse(new TextDecoder().decode(bytes), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return rows.slice(0, limit);
}
