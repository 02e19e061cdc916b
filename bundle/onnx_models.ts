/**
 * The models of an ONNX bundle (`bundle create --engine onnx`): each experiment's models are
 * trained here (with libtorch, for the experiment and each of its profiles) and exported to
 * ONNX, and the experiment the bundle carries is rewritten to sample those files with the ONNX
 * engine (`checkpoint: models/<experiment>/<model>.onnx`, `engine: onnx`), so that on the target
 * it runs sample → postprocess → evaluate → summarize with no libtorch.
 *
 * @module
 */
import { parse, stringify } from "yaml";
import { join } from "node:path";
import { applyOverrides, isOnnxModel, loadExperiment, resolveExperiment } from "../run/experiment.ts";
import { checkpointFile, trainModels } from "../run/runner.ts";
import { hashFile } from "../core/hash.ts";

/** One exported model a bundle carries. */
export interface BundledOnnxModel {
  /** Path inside the bundle's application folder (`models/<experiment>/<model>[.<profile>].onnx`). */
  file: string;
  experiment: string;
  model: string;
  /** The variants that sample it: `null` for the experiment without a profile, else profile names. */
  profiles: (string | null)[];
  sha256: string;
  /** The checkpoint it was exported from (trained here, or the experiment's own). */
  checkpoint_sha256: string;
  bytes: number;
}

/** What {@linkcode prepareOnnxModels} made. */
export interface OnnxModels {
  /** The rewritten experiment YAML by name. */
  yaml: Map<string, string>;
  models: BundledOnnxModel[];
}

/**
 * Train, export and rewrite the named experiments.
 *
 * @param root Checkout root.
 * @param names Experiments to bundle.
 * @param work Scratch folder for the training runs (removed by the caller).
 * @param app The bundle's application folder: the `.onnx` files go to its `models/`.
 * @param commit The harness commit (named in the rewritten YAML's header).
 * @param log Progress lines.
 * @throws {Error} For an experiment that reads another experiment's outputs (`run:`), or a failed
 *   training or export.
 */
export async function prepareOnnxModels(
  root: string,
  names: string[],
  work: string,
  app: string,
  commit: string | null,
  log: (s: string) => void,
): Promise<OnnxModels> {
  const { exportOnnx } = await import("../export/onnx_export.ts");
  const yaml = new Map<string, string>();
  const models: BundledOnnxModel[] = [];
  for (const name of names) {
    const file = join(root, "experiments", `${name}.yaml`);
    const raw = parse(Deno.readTextFileSync(file)) as Record<string, unknown>;
    if (JSON.stringify(raw).includes('"run:')) {
      throw new Error(
        `Cannot bundle experiment ${name} with --engine onnx: it reads another experiment's outputs (run:); ` +
          "bundle it without --engine onnx (the libtorch engine trains on the target)",
      );
    }
    const profiles = Object.keys((raw.profiles as Record<string, unknown> | undefined) ?? {});
    // per variant (no profile, then each profile): model name → bundled file
    const chosen = new Map<string | null, Record<string, BundledOnnxModel>>();
    for (const profile of [null, ...profiles]) {
      const { spec } = loadExperiment(name, { profile: profile ?? undefined, root });
      log(
        `training ${name}${
          profile ? ` --profile ${profile}` : ""
        } for the ONNX bundle (unchanged stages are skipped)`,
      );
      // one output root for every variant: a profile that leaves training alone reuses its stages
      const checkpoints = await trainModels(spec, { outRoot: work, log, file });
      const byModel: Record<string, BundledOnnxModel> = {};
      for (const model of Object.keys(spec.models)) {
        const ckpt = checkpoints[model].path;
        const sha = checkpoints[model].sha256;
        let entry = models.find((m) =>
          m.experiment === name && m.model === model && m.checkpoint_sha256 === sha
        );
        if (!entry) {
          const rel = `models/${name}/${model}${profile ? `.${profile}` : ""}.onnx`;
          const dest = join(app, rel);
          let bytes: number;
          if (isOnnxModel(ckpt)) {
            Deno.mkdirSync(join(dest, ".."), { recursive: true });
            Deno.copyFileSync(ckpt, dest);
            bytes = Deno.statSync(dest).size;
          } else bytes = (await exportOnnx({ ckpt: checkpointFile(ckpt), out: dest })).bytes;
          log(
            `exported ${name}/${model}${profile ? ` (${profile})` : ""} to ${rel} (${
              (bytes / 2 ** 20).toFixed(1)
            } MiB)`,
          );
          entry = {
            file: rel,
            experiment: name,
            model,
            profiles: [],
            sha256: await hashFile(dest),
            checkpoint_sha256: sha,
            bytes,
          };
          models.push(entry);
        }
        entry.profiles.push(profile);
        byModel[model] = entry;
      }
      chosen.set(profile, byModel);
    }
    yaml.set(name, rewrite(name, raw, chosen, commit));
    // the rewritten experiment must load, with each profile
    for (const profile of [null, ...profiles]) {
      const r = parse(yaml.get(name)!) as Record<string, unknown>;
      const prof = profile ? (r.profiles as Record<string, Record<string, unknown>>)[profile] : {};
      resolveExperiment(
        applyOverrides(r, Object.entries(prof).map(([k, v]) => `${k}=${JSON.stringify(v)}`), `${name}.yaml`),
        `bundled experiments/${name}.yaml`,
      );
    }
  }
  return { yaml, models };
}

/** Profile keys that set training, the dataset or a model's source: they do not apply to a bundled ONNX model. */
const TRAINING_KEY = /^(dataset(\.|$)|models\.[^.]+\.(train|checkpoint|engine)(\.|$))/;

function rewrite(
  name: string,
  raw: Record<string, unknown>,
  chosen: Map<string | null, Record<string, BundledOnnxModel>>,
  commit: string | null,
): string {
  const out = structuredClone(raw);
  const base = chosen.get(null)!;
  const models = out.models as Record<string, Record<string, unknown>>;
  for (const m of Object.keys(models)) models[m] = { checkpoint: base[m].file, engine: "onnx" };
  // no model trains any more: the dataset stage would only tokenize for nothing
  delete out.dataset;
  const profiles = out.profiles as Record<string, Record<string, unknown>> | undefined;
  for (const [p, sets] of Object.entries(profiles ?? {})) {
    const kept: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(sets)) if (!TRAINING_KEY.test(k)) kept[k] = v;
    for (const [m, entry] of Object.entries(chosen.get(p)!)) {
      if (entry !== base[m]) kept[`models.${m}.checkpoint`] = entry.file;
    }
    profiles![p] = kept;
  }
  const header = [
    `# Written by \`crystallm bundle create --engine onnx\` from experiments/${name}.yaml of`,
    `# crystallm-harness ${commit ?? "(no commit)"}. Its models were trained there (with libtorch,`,
    "# for the experiment and each profile) and exported to ONNX; here they are sampled with the ONNX",
    "# engine (onnxruntime-node), so a run is sample → postprocess → evaluate → summarize and needs no",
    "# libtorch. The training settings are those of that commit's YAML.",
  ];
  return header.join("\n") + "\n" + stringify(out, { lineWidth: 0 });
}
