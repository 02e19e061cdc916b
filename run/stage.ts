/**
 * One pipeline stage run with `dvc repro` semantics: a fingerprint over the
 * stage's inputs (content hashes), parameters and code (the module graph of its
 * entry modules, see run/code_graph.ts); an unchanged stage is skipped, `force`
 * reruns it; every run leaves one `manifest.json` in its folder, written once.
 *
 * @module
 */
import { join } from "node:path";
import { canonicalJson, hashPath } from "../core/hash.ts";
import { fingerprint } from "./fingerprint.ts";
import { REPO_ROOT } from "../core/paths.ts";
import { assertInside } from "./paths.ts";
import { type CodeGraphOptions, type CodeSet, stageCode } from "./code_graph.ts";
import { writeFileAtomic } from "../checkpoint/write_checkpoint.ts";

/** What a stage folder's `manifest.json` records. */
export interface StageManifest {
  stage: string;
  status: "done";
  fingerprint: string;
  params: unknown;
  inputs: Record<string, { path: string; sha256: string }>;
  code_version: string;
  /** The code the fingerprint covers: entry modules, what they import, npm packages, native sources. */
  code: Omit<CodeSet, "version">;
  started: string;
  seconds: number;
  versions: { deno: string; v8: string; typescript: string; harness_commit: string | null };
  outputs: Record<string, unknown>;
  /** What the library function that did the work reports (a dataset build's kept/dropped/failed …). */
  report?: object;
}

/** What a stage's code and inputs are. */
export interface StageSpec {
  /** Parameters (JSON-able); a change reruns the stage. */
  params: unknown;
  /** Input name → path (file or folder), hashed by content. */
  inputs: Record<string, string>;
  /** Entry modules relative to the repository (the library modules the stage body calls). */
  code: string[];
}

/** What a stage body returns: small outputs the runner reads back, and the library's report. */
export interface StageResult {
  outputs: Record<string, unknown>;
  report?: object;
}

/** How a stage should run. */
export interface StageOptions {
  /** Rerun even when the fingerprint is unchanged. */
  force?: boolean;
  /** Progress lines. @default {console.error} */
  log?: (line: string) => void;
  /** The output root: a stage folder that resolves outside it is never cleared nor written. */
  root?: string;
  /** Where the code lives (tests point it at a temporary module tree). */
  codeRoot?: CodeGraphOptions["root"];
}

/**
 * Hash of the code a stage runs: the module graph of its entry modules (see {@link stageCode}).
 *
 * @param entries Entry modules relative to the repository, e.g. `["train/train.ts"]`.
 * @returns Hex digest.
 */
export function codeVersion(entries: string[]): string {
  return stageCode(entries).version;
}

let commit: string | null | undefined;
/** The repository's git commit, or null outside a checkout. */
export function harnessCommit(): string | null {
  if (commit !== undefined) return commit;
  try {
    const out = new Deno.Command("git", { args: ["rev-parse", "HEAD"], cwd: REPO_ROOT, stdout: "piped", stderr: "null" })
      .outputSync();
    commit = out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    commit = null;
  }
  // an offline bundle has no .git: it records the commit it was made from in COMMIT
  if (commit === null) {
    try {
      commit = Deno.readTextFileSync(join(REPO_ROOT, "COMMIT")).trim() || null;
    } catch {
      commit = null;
    }
  }
  return commit;
}

/** Read a stage folder's manifest, or null. */
export function readManifest(dir: string): StageManifest | null {
  try {
    return JSON.parse(Deno.readTextFileSync(join(dir, "manifest.json")));
  } catch {
    return null;
  }
}

/** Why a stage with an old manifest runs again: what differs between the two. */
function rerunReason(
  old: StageManifest,
  params: unknown,
  inputs: StageManifest["inputs"],
  code: string,
): string {
  const why: string[] = [];
  if (canonicalJson(old.params) !== canonicalJson(params)) why.push("parameters");
  const changed = Object.keys({ ...old.inputs, ...inputs })
    .filter((k) => old.inputs?.[k]?.sha256 !== inputs[k]?.sha256);
  if (changed.length) why.push(`inputs ${changed.join(", ")}`);
  if (old.code_version !== code) why.push("code");
  return why.length ? `${why.join(", ")} changed` : "an earlier run did not finish";
}

/**
 * Run a stage unless its fingerprint is unchanged.
 *
 * The stage body gets an empty folder (the old one is removed first) and returns
 * what it produced and what its library function reports; the manifest (both of
 * them, with the fingerprint, inputs and code) is written last, once, atomically,
 * so an interrupted stage is never mistaken for a finished one.
 *
 * @param name Stage name, e.g. `sample/nacl10/Na2Cl2/t1`.
 * @param dir The stage's output folder.
 * @param spec Parameters, input paths and entry modules.
 * @param body Does the work in `dir`; returns outputs to record and the library's report.
 * @param options `force`, `log`, `root`.
 * @returns The manifest and whether the stage was skipped.
 */
export async function runStage(
  name: string,
  dir: string,
  spec: StageSpec,
  body: (dir: string) => Promise<StageResult> | StageResult,
  options: StageOptions = {},
): Promise<{ manifest: StageManifest; skipped: boolean }> {
  const log = options.log ?? ((l: string) => console.error(l));
  const inputs: StageManifest["inputs"] = {};
  for (const [k, p] of Object.entries(spec.inputs)) inputs[k] = { path: p, sha256: await hashPath(p) };
  const { version: code, ...codeSet } = stageCode(spec.code, { root: options.codeRoot });
  const fp = fingerprint(name, spec.params, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.sha256])), code);
  const old = readManifest(dir);
  if (!options.force && old && old.status === "done" && old.fingerprint === fp) {
    log(`[${name}] unchanged (${fp.slice(0, 12)}), skipped`);
    return { manifest: old, skipped: true };
  }
  if (options.root) assertInside(options.root, dir, `to clear and write the stage folder of ${name}`);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  const why = old ? (options.force ? " (--force)" : ` (${rerunReason(old, spec.params, inputs, code)})`) : "";
  log(`[${name}] running${why}`);
  const started = new Date();
  const t0 = performance.now();
  const { outputs, report } = await body(dir);
  const manifest: StageManifest = {
    stage: name,
    status: "done",
    fingerprint: fp,
    params: spec.params,
    inputs,
    code_version: code,
    code: codeSet,
    started: started.toISOString(),
    seconds: (performance.now() - t0) / 1000,
    versions: { ...Deno.version, harness_commit: harnessCommit() },
    outputs,
    ...(report ? { report } : {}),
  };
  const text = JSON.stringify(manifest, null, 2) + "\n";
  await writeFileAtomic(join(dir, "manifest.json"), new TextEncoder().encode(text));
  log(`[${name}] done in ${manifest.seconds.toFixed(1)} s`);
  return { manifest, skipped: false };
}
