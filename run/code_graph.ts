/**
 * The code a stage runs, from Deno's own module graph (`deno info --json`): every local module
 * its entry modules import, directly or through others (JSON data included), the npm packages
 * they reach with their versions, and — for stages that load the native library — the C++
 * sources and CMakeLists.txt it is built from. Test files, test helpers and benchmarks are not
 * imported by the stage's modules, so they are not part of it.
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { join, relative } from "node:path";
import { sha256 } from "../core/hash.ts";
import { REPO_ROOT } from "../core/paths.ts";

/** What a stage's code is made of, as recorded in its manifest. */
export interface CodeSet {
  /** Hash over every entry below (paths and contents, package names and versions). */
  version: string;
  /** The entry modules, relative to the repository. */
  entries: string[];
  /** Local modules reached from the entries (TypeScript and JSON), relative to the repository, sorted. */
  modules: string[];
  /** npm packages reached, `name@version`, sorted (their own dependencies included). */
  npm: string[];
  /** Native library sources (`ffi/*.cpp`, `*.h`, `CMakeLists.txt`), when a module of `ffi/` is reached. */
  native: string[];
}

/** Where the code lives and which Deno reads it (tests point this at a temporary tree). */
export interface CodeGraphOptions {
  /** The folder module paths are relative to, holding `deno.json` and `ffi/`. @default {REPO_ROOT} */
  root?: string;
}

/** Thrown when Deno cannot build the module graph of a stage. */
export class CodeGraphError extends Error {
  override name = "CodeGraphError";
}

interface InfoModule {
  specifier: string;
  kind?: string;
  local?: string;
  npmPackage?: string;
  error?: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

interface Info {
  modules: InfoModule[];
  redirects: Record<string, string>;
  npmPackages: Record<string, { dependencies?: string[] }>;
}

/** A module graph as the stage needs it: local files (relative to the root) and npm packages. */
interface Reached {
  modules: string[];
  npm: string[];
}

/**
 * The local files and npm packages reached from some modules, from one `deno info --json` over
 * a `data:` module importing them all.
 */
function reach(entries: string[], root: string): Reached {
  const urls = entries.map((e) => pathToFileURL(join(root, e)).href);
  const rootModule = "data:application/typescript," +
    urls.map((u) => `import ${JSON.stringify(u)};`).join("");
  const out = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", rootModule],
    cwd: root,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const err = new TextDecoder().decode(out.stderr).trim();
  if (!out.success) {
    throw new CodeGraphError(`Cannot list the modules of ${entries.join(", ")}: deno info failed: ${err}`);
  }
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as Info;
  const bySpec = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const local = new Set<string>();
  const npm = new Set<string>();
  const addNpm = (id: string) => {
    if (npm.has(id)) return;
    npm.add(id);
    for (const d of info.npmPackages[id]?.dependencies ?? []) addNpm(d);
  };
  const visit = (spec: string) => {
    spec = info.redirects[spec] ?? spec;
    if (seen.has(spec)) return;
    seen.add(spec);
    const m = bySpec.get(spec);
    if (!m) return;
    if (m.error) throw new CodeGraphError(`Cannot list the modules of ${entries.join(", ")}: ${m.error}`);
    if (m.npmPackage) addNpm(m.npmPackage);
    if (m.specifier.startsWith("file:")) local.add(fileURLToPath(m.specifier));
    for (const d of m.dependencies ?? []) {
      if (d.code) visit(d.code.specifier);
      if (d.type) visit(d.type.specifier);
    }
  };
  visit(rootModule);
  for (const u of urls) {
    if (!seen.has(u)) throw new CodeGraphError(`Cannot list the modules of ${u}: deno info did not reach it`);
  }
  const modules = [...local].map((p) => relative(root, p).split("\\").join("/")).sort();
  return { modules, npm: [...npm].sort() };
}

/** `path\0sha256` of each file, relative to the root. */
function hashLines(root: string, rels: string[]): string[] {
  return rels.map((rel) => `${rel}\0${sha256(Deno.readFileSync(join(root, rel)))}`);
}

/** The configuration that decides how imports resolve (import map, npm versions, lockfile). */
const CONFIG_FILES = ["deno.json", "deno.jsonc", "deno.lock", "package.json"];

function configStamp(root: string): string {
  return CONFIG_FILES.map((f) => {
    try {
      return `${f}\0${sha256(Deno.readFileSync(join(root, f)))}`;
    } catch {
      return `${f}\0-`;
    }
  }).join("\n");
}

/**
 * Graphs per root and entry set, for the process: `deno info` takes a fraction of a second, and
 * a run asks for the same stage's code once per model × prompt × temperature. A cached graph is
 * used while its files and the configuration are unchanged (then no import can have changed).
 */
const graphCache = new Map<string, { graph: Reached; lines: string[]; config: string }>();

function cachedReach(entries: string[], root: string): { graph: Reached; lines: string[] } {
  const key = `${root}\0${entries.join("\0")}`;
  const config = configStamp(root);
  const hit = graphCache.get(key);
  if (hit && hit.config === config) {
    try {
      const lines = hashLines(root, hit.graph.modules);
      if (lines.join("\n") === hit.lines.join("\n")) return { graph: hit.graph, lines };
    } catch { /* a module is gone: list the graph again */ }
  }
  const graph = reach(entries, root);
  const lines = hashLines(root, graph.modules);
  graphCache.set(key, { graph, lines, config });
  return { graph, lines };
}

/** The files the native library is built from, as ffi/build.ts lists them. */
function nativeSources(root: string): string[] {
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(join(root, "ffi"))]
      .filter((e) => e.isFile && (/\.(cpp|cc|h|hpp)$/.test(e.name) || e.name === "CMakeLists.txt"))
      .map((e) => `ffi/${e.name}`);
  } catch { /* no ffi/ folder */ }
  return names.sort();
}

/**
 * The code a stage runs: the module graph of its entry modules, the npm packages it reaches and
 * the native library's sources when it loads `ffi/`, with one hash over all of them.
 *
 * @param entries Entry modules relative to the root, e.g. `["train/train.ts"]`.
 * @param options The root (the repository by default).
 * @returns The code set; `version` changes when any file or package version in it does.
 * @throws {CodeGraphError} When an entry or one of its imports cannot be resolved.
 */
export function stageCode(entries: string[], options: CodeGraphOptions = {}): CodeSet {
  const root = options.root ?? REPO_ROOT;
  const { graph: { modules, npm }, lines } = cachedReach(entries, root);
  const native = modules.some((m) => m.startsWith("ffi/")) ? nativeSources(root) : [];
  const parts = [...lines, ...hashLines(root, native), ...npm.map((p) => `npm:${p}`)];
  return { version: sha256(parts.join("\n")), entries: [...entries], modules, npm, native };
}
