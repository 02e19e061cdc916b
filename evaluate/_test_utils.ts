/**
 * Test helpers for evaluate/: small CIFs from testdata/, in the layout CrystaLLM generates
 * (after postprocess). Tests only.
 *
 * @module
 */

/** Rock salt as CrystaLLM writes it (Fm-3m, full operator list added by postprocess): testdata/nacl_raw.cif. */
export const NACL_RAW: string = Deno.readTextFileSync(new URL("./testdata/nacl_raw.cif", import.meta.url));
