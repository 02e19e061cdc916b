/**
 * Worker for the build's symmetrize step (the spglib port's CifWriter), batches of
 * CIF texts in, CifWriter texts (or error names and messages) out. Private to `build.ts`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { cifWriterSymmetrize } from "./symmetrize_step.ts";

/** A batch sent to the worker. */
export interface SymmetrizeJob {
  batch: number;
  symprec: number;
  items: { text: string; id: string }[];
}

/** The worker's answer: one entry per item, in order. */
export interface SymmetrizeDone {
  batch: number;
  results: ({ ok: true; text: string } | { ok: false; name: string; message: string })[];
}

self.onmessage = (e: MessageEvent<SymmetrizeJob>) => {
  const { batch, symprec, items } = e.data;
  const symmetrize = cifWriterSymmetrize(symprec);
  const results: SymmetrizeDone["results"] = items.map(({ text, id }) => {
    try {
      return { ok: true, text: symmetrize(text, id) };
    } catch (err) {
      const x = err instanceof Error ? err : new Error(String(err));
      return { ok: false, name: x.name, message: x.message };
    }
  });
  self.postMessage({ batch, results } satisfies SymmetrizeDone);
};
