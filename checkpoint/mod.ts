/**
 * Upstream CrystaLLM `ckpt.pt` files in TypeScript: read (zip + pickle, `_orig_mod.`
 * prefixes and torch 1.x `attn.bias` buffers handled), write atomically in a layout
 * `torch.load` and upstream's `train.py` resume accept, and move weights in and out of an
 * `ffi/` model.
 *
 * ```ts ignore
 * import { loadModel, readCheckpoint, writeCheckpoint } from "./mod.ts";
 * const ckpt = await readCheckpoint("../shared/oracle/model/ckpt_tiny.pt");
 * using model = loadModel(ckpt);
 * await writeCheckpoint("/tmp/ckpt.pt", ckpt);
 * ```
 *
 * @module
 */
// defines: readCheckpoint(), parseCheckpoint(), resolveCheckpointPath(), optimizerGroups(), Checkpoint, CheckpointError
export * from "./read_checkpoint.ts";
// defines: writeCheckpoint(), serializeCheckpoint(), writeFileAtomic()
export * from "./write_checkpoint.ts";
// defines: loadModel(), checkpointFromModel()
export * from "./model_state.ts";
