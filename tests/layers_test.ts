/**
 * The folders of the harness form layers, lowest first in {@linkcode LAYERS}: a production
 * module imports only its own folder or a lower layer, folders never import each other in a
 * cycle, and no production module imports a test module. The module graph is Deno's own
 * (`deno info --json` over every module of the checkout), dynamic and type-only imports included.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../core/paths.ts";

/**
 * Pipeline folders, lowest layer first: a folder may import the folders of lower layers only,
 * never one of its own layer or above. `cli` is every folder's `command.ts` (the wiring of
 * `crystallm <command>`), which may reach any pipeline folder; `.` is the root `mod.ts`.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["core"], // hashes, repository and shared-data paths, seeded random numbers
  ["pickle", "cif", "ffi"], // formats: Python pickles, CIFs; the libtorch library
  ["symmetry"], // space groups on cif/ structures
  ["checkpoint", "data", "match"], // ckpt.pt files; token datasets; structure matching
  ["export", "train"], // ONNX export of a checkpoint; training
  ["onnx"], // the ONNX engine (runs what export/ writes)
  ["sample"], // sampling with either engine
  ["postprocess"],
  ["evaluate", "csp"], // validity and set metrics; the CSP benchmark's prompts and generations
  ["summarize", "audit"], // tables and the report; snapshot audits and run diffs
  ["run"], // experiments: the runner
  ["bundle", "sweep"], // offline bundles of runs; sweeps of experiments
  ["cli"], // <folder>/command.ts
  ["tasks", "."], // deno tasks (the crystallm CLI); the library's mod.ts
];

/** Outside the pipeline: test support, dev tools and benchmarks import anything; production imports none of them. */
export const OUTSIDE: readonly string[] = ["tests", "tools", "bench"];

/** True for a test module: `*_test.ts`, `*_bench.ts`, `_test_utils.ts`, `testdata/`, or a file of an OUTSIDE folder. */
export function isTestModule(rel: string): boolean {
  return /(_test|_bench)\.[jt]s$/.test(rel) || /(^|\/)_test_utils\.[jt]s$/.test(rel) ||
    /(^|\/)testdata\//.test(rel) || OUTSIDE.includes(folderOf(rel));
}

/** The folder of a repository-relative path (`.` for files at the root). */
export function folderOf(rel: string): string {
  return rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : ".";
}

/** The layer node of a module: `cli` for a pipeline folder's `command.ts`, else its folder. */
export function nodeOf(rel: string): string {
  return /^[^/]+\/command\.ts$/.test(rel) ? "cli" : folderOf(rel);
}

/**
 * What breaks the layering in a module graph.
 *
 * @param imports Repository-relative module path → the repository-relative modules it imports.
 * @returns One line per problem (an upward or same-layer import, a folder cycle, a test module
 *   imported by production code, a folder missing from {@linkcode LAYERS}); empty when none.
 */
export function layerProblems(imports: ReadonlyMap<string, readonly string[]>): string[] {
  const layer = new Map<string, number>();
  LAYERS.forEach((names, i) => names.forEach((n) => layer.set(n, i)));
  const problems: string[] = [];
  const edges = new Map<string, Set<string>>();
  for (const [from, deps] of [...imports].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (isTestModule(from)) continue;
    for (const to of deps) {
      if (isTestModule(to)) {
        problems.push(
          `${from} imports the test module ${to}: production code never imports tests or their helpers`,
        );
        continue;
      }
      if (folderOf(from) === folderOf(to)) continue;
      const [a, b] = [nodeOf(from), nodeOf(to)];
      const [la, lb] = [layer.get(a), layer.get(b)];
      if (la === undefined || lb === undefined) {
        problems.push(
          `${from} imports ${to}: add ${la === undefined ? a : b}/ to LAYERS in tests/layers_test.ts`,
        );
        continue;
      }
      if (lb >= la) {
        problems.push(
          `${from} imports ${to}: ${a} (layer ${la}) may import only lower layers, and ${b} is layer ${lb}`,
        );
      }
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)!.add(b);
    }
  }
  return [...problems, ...folderCycles(edges).map((c) => `import cycle between folders: ${c.join(" -> ")}`)];
}

/** Every elementary cycle found by a depth-first search, each once, as `a -> b -> … -> a`. */
function folderCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles = new Map<string, string[]>();
  const visit = (node: string, path: string[]) => {
    for (const next of [...(edges.get(node) ?? [])].sort()) {
      const at = path.indexOf(next);
      if (at >= 0) {
        const cycle = path.slice(at);
        const start = cycle.indexOf([...cycle].sort()[0]);
        const norm = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(norm.join(" "), [...norm, norm[0]]);
      } else if (path.length < 32) visit(next, [...path, next]);
    }
  };
  for (const node of [...edges.keys()].sort()) visit(node, [node]);
  return [...cycles.values()];
}

/** Every `.ts`/`.js` module of the checkout (not out/, build folders, dot-folders or node_modules). */
function repoModules(dir = REPO_ROOT): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    const rel = relative(REPO_ROOT, p);
    if (e.isDirectory) {
      if (!e.name.startsWith(".") && !["out", "node_modules", "ffi/build"].includes(rel)) {
        out.push(...repoModules(p));
      }
    } else if (e.isFile && /\.[jt]s$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out.sort();
}

/** The checkout's module graph from `deno info --json`, as repository-relative paths. */
async function repoImports(): Promise<Map<string, string[]>> {
  const dir = await Deno.makeTempDir({ prefix: "crystallm-layers-" });
  try {
    const root = join(dir, "all.ts");
    const url = (rel: string) => new URL(`file://${join(REPO_ROOT, rel)}`).href;
    await Deno.writeTextFile(root, repoModules().map((rel) => `import "${url(rel)}";\n`).join(""));
    const cmd = new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", join(REPO_ROOT, "deno.json"), root],
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
    });
    const res = await cmd.output();
    const text = new TextDecoder().decode(res.stdout);
    if (!res.success) throw new Error(`deno info failed: ${new TextDecoder().decode(res.stderr)}`);
    const info = JSON.parse(text) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
      }[];
    };
    const inRepo = (spec: string | undefined) =>
      spec?.startsWith("file://") && !spec.startsWith(`file://${dir}`)
        ? relative(REPO_ROOT, new URL(spec).pathname)
        : undefined;
    const graph = new Map<string, string[]>();
    for (const m of info.modules) {
      const from = inRepo(m.specifier);
      if (from === undefined) continue;
      const deps = (m.dependencies ?? []).flatMap((
        d,
      ) => [inRepo(d.code?.specifier), inRepo(d.type?.specifier)]);
      graph.set(from, [...new Set(deps.filter((d): d is string => d !== undefined))]);
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("layerProblems() reports an upward import, a folder cycle, a test helper in production and an unknown folder", () => {
  const graph = new Map<string, string[]>([
    ["cif/a.ts", ["core/hash.ts", "cif/b.ts"]], // fine
    ["symmetry/s.ts", ["cif/a.ts"]], // fine: symmetry is above cif
    ["cif/b.ts", ["symmetry/s.ts"]], // upward, and a cycle cif -> symmetry -> cif
    ["data/d.ts", ["data/_test_utils.ts", "tests/python.ts"]], // test modules in production
    ["data/d_test.ts", ["run/runner.ts", "data/_test_utils.ts"]], // tests may import anything
    ["checkpoint/c.ts", ["match/m.ts"]], // same layer
    ["newfolder/x.ts", ["core/paths.ts"]],
    ["tasks/crystallm.ts", ["cif/command.ts"]], // fine
    ["cif/command.ts", ["symmetry/s.ts"]], // fine: command.ts is the cli layer
  ]);
  assert.deepEqual(layerProblems(graph), [
    "checkpoint/c.ts imports match/m.ts: checkpoint (layer 3) may import only lower layers, and match is layer 3",
    "cif/b.ts imports symmetry/s.ts: cif (layer 1) may import only lower layers, and symmetry is layer 2",
    "data/d.ts imports the test module data/_test_utils.ts: production code never imports tests or their helpers",
    "data/d.ts imports the test module tests/python.ts: production code never imports tests or their helpers",
    "newfolder/x.ts imports core/paths.ts: add newfolder/ to LAYERS in tests/layers_test.ts",
    "import cycle between folders: cif -> symmetry -> cif",
  ]);
});

Deno.test("every import points down the layers, no folders import each other in a cycle, production imports no test module", async () => {
  const graph = await repoImports();
  // the graph is the real one: it holds the runner's imports of the stages below it
  assert.ok(
    graph.get("run/runner.ts")?.includes("sample/generate.ts"),
    "deno info gave no graph for run/runner.ts",
  );
  assert.deepEqual(layerProblems(graph), []);
});
