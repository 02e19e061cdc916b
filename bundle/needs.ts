/**
 * What an experiment needs in a bundle: its YAML, snapshots, the repository files and
 * `shared:` data its settings name, and the experiments whose `run:` outputs it reads.
 *
 * @module
 */
import { parse } from "yaml";
import { existsSync } from "node:fs";
import { join, normalize } from "node:path";

/** The needs of one experiment. */
export interface ExperimentNeeds {
  /** experiments/<name>.yaml. */
  yaml: string;
  /** snapshots/<name>.json and snapshots/<name>.<profile>.json that exist. */
  snapshots: string[];
  /** Repository files or folders its settings name (fixtures, checkpoints). */
  files: string[];
  /** `shared:` paths, relative to the shared data folder. */
  shared: string[];
  /** Experiments whose outputs (`run:<experiment>/…`) it reads; they are bundled too. */
  runs: string[];
}

function strings(v: unknown, out: string[]): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) { for (const x of v) strings(x, out); }
  else if (v && typeof v === "object") { for (const x of Object.values(v)) strings(x, out); }
  return out;
}

/** Names of every experiment of a checkout (experiments/*.yaml), sorted. */
export function allExperiments(root: string): string[] {
  return [...Deno.readDirSync(join(root, "experiments"))]
    .filter((e) => e.isFile && e.name.endsWith(".yaml"))
    .map((e) => e.name.slice(0, -".yaml".length))
    .sort();
}

/**
 * Read one experiment's needs.
 *
 * @param root Checkout root.
 * @param name Experiment name (experiments/<name>.yaml).
 * @param text The YAML to read instead of the checkout's (a bundle's rewritten experiment).
 * @throws {Error} When the experiment does not exist or names a repository path that is missing.
 */
export function experimentNeeds(root: string, name: string, text?: string): ExperimentNeeds {
  const yaml = `experiments/${name}.yaml`;
  let raw: unknown;
  try {
    raw = parse(text ?? Deno.readTextFileSync(join(root, yaml)));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot bundle experiment ${name}: no ${yaml} (known: ${allExperiments(root).join(", ")})`,
      );
    }
    throw new Error(`Cannot bundle experiment ${name}: ${yaml}: ${(e as Error).message}`);
  }
  const needs: ExperimentNeeds = { yaml, snapshots: [], files: [], shared: [], runs: [] };
  for (const s of new Set(strings(raw, []))) {
    if (s.startsWith("shared:")) needs.shared.push(normalize(s.slice("shared:".length)));
    else if (s.startsWith("run:")) needs.runs.push(s.slice("run:".length).split("/")[0]);
    else if (s.includes("/") && !s.includes("\n") && !s.startsWith("/") && !s.includes("..")) {
      // a relative repository path (fixtures/nacl10, fixtures/base/ckpt.pt); other strings
      // with a slash (descriptions) do not exist as files
      if (existsSync(join(root, s))) needs.files.push(normalize(s).replace(/\/$/, ""));
    }
  }
  const snaps = [...Deno.readDirSync(join(root, "snapshots"))].map((e) => e.name);
  needs.snapshots = snaps.filter((f) =>
    f === `${name}.json` || (f.startsWith(`${name}.`) && f.endsWith(".json"))
  )
    .map((f) => `snapshots/${f}`).sort();
  // `name.` prefixes also match longer names (demo5.x of demo5-big): keep exact profile files
  needs.snapshots = needs.snapshots.filter((p) => p.split("/")[1].split(".").length <= 3);
  for (const k of ["files", "shared", "runs"] as const) needs[k] = [...new Set(needs[k])].sort();
  return needs;
}

/**
 * Needs of the named experiments and of every experiment whose outputs they read.
 *
 * @param root Checkout root.
 * @param names Experiments to bundle; empty for all of them.
 * @param texts YAML texts that replace the checkout's, by experiment name.
 * @returns Needs by experiment name, dependencies included, sorted by name.
 */
export function bundleNeeds(
  root: string,
  names: string[],
  texts: ReadonlyMap<string, string> = new Map(),
): Map<string, ExperimentNeeds> {
  const out = new Map<string, ExperimentNeeds>();
  const todo = names.length ? [...names] : allExperiments(root);
  while (todo.length) {
    const n = todo.shift()!;
    if (out.has(n)) continue;
    const needs = experimentNeeds(root, n, texts.get(n));
    out.set(n, needs);
    todo.push(...needs.runs);
  }
  return new Map([...out].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}
