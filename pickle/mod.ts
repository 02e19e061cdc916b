/**
 * Python pickle for TypeScript: the subset that `torch.save` checkpoints and
 * upstream's `meta.pkl` use.
 *
 * ```ts
 * import { pickle, tuple, unpickle } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const meta = new Map<string, unknown>([["vocab_size", 371], ["shape", tuple(2, 3)]]);
 * assert.deepEqual(unpickle(pickle(meta)), meta);
 * ```
 *
 * @module
 */
// defines: unpickle(), UnpickleOptions
export * from "./unpickle.ts";
// defines: pickle(), PickleOptions, PersistentRef
export * from "./pickle.ts";
// defines: tuple(), isTuple(), PyFloat, PyGlobal, PyObject, PickleError
export * from "./_types.ts";
