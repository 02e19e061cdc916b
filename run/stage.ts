/**
 * One pipeline stage run with `dvc repro` semantics: a fingerprint over the
 * stage's inputs (content hashes), parameters and code; an unchanged stage is
 * skipped, `force` reruns it; every run leaves a `manifest.json` in its folder.
 *
 * @module
 */
import { join } from "node:path";
import { hashPath, listFiles, sha256 } from "../core/hash.ts";
import { fingerprint } from "./fingerprint.ts";
import { REPO_ROOT } from "../core/paths.ts";
import { assertInside } from "./paths.ts";

/** What a stage folder's `manifest.json` records. */
export interface StageManifest {
  stage: string;
  status: "done";
  fingerprint: string;
  params: unknown;
  inputs: Record<string, { path: string; sha256: string }>;
  code_version: string;
  started: string;
  seconds: number;
  versions: { deno: string; v8: string; typescript: string; harness_commit: string | null };
  outputs: Record<string, unknown>;
}

/** How a stage should run. */
export interface StageOptions {
  /** Rerun even when the fingerprint is unchanged. */
  force?: boolean;
  /** Progress lines. @default {console.error} */
  log?: (line: string) => void;
  /** The output root: a stage folder that resolves outside it is never cleared nor written. */
  root?: string;
}

const codeCache = new Map<string, string>();

/**
 * Hash of the source folders a stage runs (TypeScript, C++, JSON data), so that a
 * code change reruns the stages it affects and nothing else.
 *
 * @param folders Repository folders, e.g. `["train", "ffi", "checkpoint"]`.
 * @returns Hex digest.
 */
export function codeVersion(folders: string[]): string {
  const key = folders.join(",");
  const hit = codeCache.get(key);
  if (hit) return hit;
  const parts: string[] = [];
  for (const f of folders) {
    const dir = join(REPO_ROOT, f);
    let files: string[] = [];
    try {
      files = listFiles(dir, (rel) => /\.(ts|cpp|h|json|txt|py)$/.test(rel) && !rel.startsWith("build/") && !rel.includes("_test."));
    } catch {
      files = [];
    }
    for (const rel of files) parts.push(`${f}/${rel}\0${sha256(Deno.readFileSync(join(dir, rel)))}`);
  }
  const v = sha256(parts.join("\n"));
  codeCache.set(key, v);
  return v;
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

/**
 * Run a stage unless its fingerprint is unchanged.
 *
 * The stage body gets an empty folder (the old one is removed first) and returns
 * what it produced; the manifest is written last, so an interrupted stage is
 * never mistaken for a finished one.
 *
 * @param name Stage name, e.g. `sample/nacl10/Na2Cl2/t1`.
 * @param dir The stage's output folder.
 * @param spec Parameters, input paths and code folders.
 * @param body Does the work in `dir`; returns outputs to record.
 * @param options `force`, `log`.
 * @returns The manifest and whether the stage was skipped.
 */
export async function runStage(
  name: string,
  dir: string,
  spec: { params: unknown; inputs: Record<string, string>; code: string[] },
  body: (dir: string) => Promise<Record<string, unknown>> | Record<string, unknown>,
  options: StageOptions = {},
): Promise<{ manifest: StageManifest; skipped: boolean }> {
  const log = options.log ?? ((l: string) => console.error(l));
  const inputs: StageManifest["inputs"] = {};
  for (const [k, p] of Object.entries(spec.inputs)) inputs[k] = { path: p, sha256: await hashPath(p) };
  const code = codeVersion(spec.code);
  const fp = fingerprint(name, spec.params, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.sha256])), code);
  const old = readManifest(dir);
  if (!options.force && old && old.status === "done" && old.fingerprint === fp) {
    log(`[${name}] unchanged (${fp.slice(0, 12)}), skipped`);
    return { manifest: old, skipped: true };
  }
  if (options.root) assertInside(options.root, dir, `to clear and write the stage folder of ${name}`);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  log(`[${name}] running${old ? (options.force ? " (--force)" : " (inputs, parameters or code changed)") : ""}`);
  const started = new Date();
  const t0 = performance.now();
  const outputs = await body(dir);
  const manifest: StageManifest = {
    stage: name,
    status: "done",
    fingerprint: fp,
    params: spec.params,
    inputs,
    code_version: code,
    started: started.toISOString(),
    seconds: (performance.now() - t0) / 1000,
    versions: { ...Deno.version, harness_commit: harnessCommit() },
    outputs,
  };
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  log(`[${name}] done in ${manifest.seconds.toFixed(1)} s`);
  return { manifest, skipped: false };
}
