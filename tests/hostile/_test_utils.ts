/**
 * Helpers of the hostile-input corpus: a sandbox with an `--out` root inside it and
 * bystander files around it, and a hash of everything outside `--out`, so that a test
 * proves a run touched nothing it should not.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { createHash } from "node:crypto";
import { type CliResult, crystallm as runCli } from "../cli.ts";
import { REPO_ROOT } from "../../core/paths.ts";

export { REPO_ROOT };

/** The corpus folder (YAML, snapshots, token files). */
export const CORPUS = join(REPO_ROOT, "tests", "hostile");

/** Run the CLI outside CI (so `--update` is allowed where a test asks for it). */
export function crystallm(...args: string[]): Promise<CliResult> {
  return runCli(args, { CI: "" });
}

/** A sandbox: `root/out/` is the `--out` root, bystanders sit around and above it. */
export interface Sandbox {
  root: string;
  /** `<root>/a/b/out`: deep enough that `../../..` from a run folder still lands in the sandbox. */
  out: string;
}

/**
 * Make a sandbox with bystander files at every level above `--out` and a symlink target.
 *
 * @returns The sandbox.
 */
export async function makeSandbox(): Promise<Sandbox> {
  const root = await Deno.makeTempDir({ prefix: "crystallm-hostile-" });
  const out = join(root, "a", "b", "out");
  await Deno.mkdir(out, { recursive: true });
  for (const d of ["", "a", "a/b"]) {
    await Deno.writeTextFile(join(root, d, "x"), `bystander ${d}\n`);
    await Deno.mkdir(join(root, d, "keep"), { recursive: true });
    await Deno.writeTextFile(join(root, d, "keep", "data.txt"), `keep ${d}\n`);
  }
  await Deno.mkdir(join(root, "victim"), { recursive: true });
  await Deno.writeTextFile(join(root, "victim", "precious.txt"), "do not delete\n");
  return { root, out };
}

function hashTree(dir: string, skip: (rel: string) => boolean, base = dir, acc: Record<string, string> = {}) {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return acc;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    const rel = relative(base, p);
    if (skip(rel)) continue;
    if (e.isSymlink) acc[rel] = `link:${Deno.readLinkSync(p)}`;
    else if (e.isDirectory) {
      acc[rel + "/"] = "dir";
      hashTree(p, skip, base, acc);
    } else acc[rel] = createHash("sha256").update(Deno.readFileSync(p)).digest("hex");
  }
  return acc;
}

/**
 * A hash of everything around `--out`: the sandbox except `out/`, and the repository's
 * experiments, snapshots and committed base model.
 *
 * @param box The sandbox.
 * @returns Path → content hash (or link target).
 */
export function surroundings(box: Sandbox): Record<string, string> {
  const outRel = relative(box.root, box.out);
  const sandbox = hashTree(box.root, (rel) => rel === outRel || rel.startsWith(outRel + "/"));
  const repo: Record<string, string> = {};
  for (const d of ["experiments", "snapshots", "fixtures/base"]) {
    for (const [k, v] of Object.entries(hashTree(join(REPO_ROOT, d), () => false))) repo[`repo:${d}/${k}`] = v;
  }
  return { ...sandbox, ...repo };
}

/**
 * Run the CLI and assert the exact outcome: exit code, key words of the message, and that
 * nothing outside `--out` changed.
 *
 * @param box The sandbox.
 * @param args CLI arguments.
 * @param expect Exit code and regular expressions the output must match.
 * @returns The CLI result.
 */
export async function expectOutcome(
  box: Sandbox,
  args: string[],
  expect: { code: number; matches?: RegExp[]; noMatch?: RegExp[] },
): Promise<CliResult> {
  const before = surroundings(box);
  const r = await crystallm(...args);
  const all = r.stdout + r.stderr;
  assert.equal(r.code, expect.code, `exit code of crystallm ${args.join(" ")}:\n${all}`);
  for (const m of expect.matches ?? []) assert.match(all, m, `crystallm ${args.join(" ")}`);
  for (const m of expect.noMatch ?? []) assert.doesNotMatch(all, m, `crystallm ${args.join(" ")}`);
  // no stack traces for expected failures
  assert.doesNotMatch(all, /^\s+at .*\(?(file|ext|node):/m, `stack trace in:\n${all}`);
  assert.deepEqual(surroundings(box), before, "something outside --out changed");
  return r;
}

/**
 * Write an experiment YAML into the sandbox (outside `--out`).
 *
 * @param box The sandbox.
 * @param name File name.
 * @param text YAML text.
 * @returns Its path.
 */
export async function writeYaml(box: Sandbox, name: string, text: string): Promise<string> {
  const dir = join(box.root, "yaml");
  await Deno.mkdir(dir, { recursive: true });
  const p = join(dir, name);
  await Deno.writeTextFile(p, text);
  return p;
}
