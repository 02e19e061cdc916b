/**
 * `crystallm export onnx`: a checkpoint, read with the TypeScript reader, written as one ONNX
 * decoder graph with a KV cache (see {@link buildDecoderModel}); no Python, no libtorch.
 *
 * @module
 */
import { readCheckpoint, resolveCheckpointPath, writeFileAtomic } from "../checkpoint/mod.ts";
import { buildDecoderModel, encodeModel } from "./onnx_graph.ts";
import { sha256 } from "../core/hash.ts";

/** Options of {@linkcode exportOnnx}. */
export interface ExportOnnxOptions {
  /** Checkpoint file, or a run directory holding ckpt.pt. */
  ckpt: string;
  /** The `.onnx` file to write. */
  out: string;
  /** @default {17} */
  opset?: number;
}

/** What {@linkcode exportOnnx} wrote. */
export interface ExportOnnxResult {
  out: string;
  bytes: number;
  sha256: string;
  checkpoint_sha256: string;
  opset: number;
}

/** Metadata keys of an exported model (its `metadata_props`). */
export const META = {
  checkpoint_sha256: "crystallm.checkpoint_sha256",
  model_args: "crystallm.model_args",
  vocab_size: "crystallm.vocab_size",
  iter_num: "crystallm.iter_num",
} as const;

/**
 * Export a checkpoint to ONNX, written atomically.
 *
 * @param options Checkpoint, output file, opset.
 * @returns Size and hashes of the file written.
 * @throws {CheckpointError} For an unreadable checkpoint.
 * @throws {RangeError} For an opset out of range.
 *
 * @example Export the oracle's tiny model
 * ```ts ignore
 * await exportOnnx({ ckpt: "../shared/oracle/model/ckpt_tiny.pt", out: "/tmp/tiny.onnx" });
 * ```
 */
export async function exportOnnx(options: ExportOnnxOptions): Promise<ExportOnnxResult> {
  const path = await resolveCheckpointPath(options.ckpt);
  const ckptBytes = await Deno.readFile(path);
  const checkpointSha = sha256(ckptBytes);
  const ckpt = await readCheckpoint(path);
  const opset = options.opset ?? 17;
  const model = buildDecoderModel(ckpt, {
    opset,
    metadata: {
      [META.checkpoint_sha256]: checkpointSha,
      [META.model_args]: JSON.stringify(ckpt.model_args),
      [META.vocab_size]: String(ckpt.model_args.vocab_size),
      [META.iter_num]: String(ckpt.iter_num),
    },
  });
  const bytes = encodeModel(model);
  const dir = options.out.replace(/[^/]*$/, "");
  if (dir) await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(options.out, bytes);
  return {
    out: options.out,
    bytes: bytes.length,
    sha256: sha256(bytes),
    checkpoint_sha256: checkpointSha,
    opset,
  };
}
