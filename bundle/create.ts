/**
 * `crystallm bundle create`: pack the harness, the exact Deno binary, a pre-filled DENO_DIR,
 * the native library and the named experiments' inputs into a plain folder that runs on a
 * machine with no network:
 *
 * ```
 * <out>/crystallm                 POSIX sh launcher (verify, setup, run, audit, …)
 * <out>/bundle.json               commit, Deno/libtorch versions, glibc floor, needs, sizes
 * <out>/README.txt                how to use it
 * <out>/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
 * <out>/data/bin/deno             the Deno binary that filled the cache
 * <out>/data/app/                 the harness source (deno.json, deno.lock, ffi/, bench/, tools/, …)
 * <out>/data/deno_dir/npm/        npm packages and registry metadata (runs use --cached-only)
 * <out>/data/lib/libcrystallm.so  CPU build, RUNPATH $ORIGIN (+ libtorch with --with-libtorch)
 * <out>/data/app/models/          with --engine onnx: the trained models as ONNX (and no data/lib/)
 * <out>/data/shared/              `shared:` data the experiments read
 * <out>/data/extra/{checkpoints,data}/   --checkpoint and --data paths
 * ```
 *
 * With `--engine onnx` the bundle carries no libtorch and nothing to build: each experiment's
 * models are trained here and exported to ONNX (bundle/onnx_models.ts), its YAML in the bundle
 * samples them with the ONNX engine, and the DENO_DIR holds onnxruntime-node with only this
 * platform's native binaries.
 *
 * The folder is written under a temporary name beside `--out` and renamed at the end, so an
 * interrupted run leaves no half bundle.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT, sharedDir } from "../core/paths.ts";
import { bundleNeeds, type ExperimentNeeds } from "./needs.ts";
import { byteOrder, listTree, writeBag } from "./manifest.ts";
import { compareVersions, glibcFloor, setRunpath } from "./elf.ts";
import { archivePath, splitFile, writeArchive } from "./archive.ts";
import { killChildren, runChild } from "./_proc.ts";
import { type OnnxModels, prepareOnnxModels } from "./onnx_models.ts";
import { ORT_VERSION } from "../onnx/session.ts";

/** The sampling engine a bundle carries. */
export type BundleEngine = "libtorch" | "onnx";

/** Options of {@linkcode createBundle}. */
export interface CreateOptions {
  /** Bundle folder to write; must not exist. */
  out: string;
  /** Experiments to bundle; empty for all. @default {[]} */
  experiments?: string[];
  /** Extra checkpoint files or folders (data/extra/checkpoints/). @default {[]} */
  checkpoints?: string[];
  /** Extra data files or folders (data/extra/data/). @default {[]} */
  data?: string[];
  /** Bundle the libtorch libraries libcrystallm.so links against. @default {false} */
  withLibtorch?: boolean;
  /**
   * `libtorch`: the native library (and, with `withLibtorch`, libtorch); the target trains and
   * samples. `onnx`: the trained models as ONNX and onnxruntime-node, no libtorch, no build.
   * @default {"libtorch"}
   */
  engine?: BundleEngine;
  /** Also write <out>.tar.xz and its .sha256. @default {false} */
  archive?: boolean;
  /** Split the archive into parts of this many bytes. */
  split?: number;
  /** Progress lines. @default {console.error} */
  log?: (line: string) => void;
}

/** What {@linkcode createBundle} wrote. */
export interface CreateResult {
  dir: string;
  manifestSha256: string;
  archive?: { path: string; sha256: string; bytes: number; parts: string[] };
  info: Record<string, unknown>;
}

/** Files of the checkout never bundled: build outputs, caches, version control. */
function skipped(rel: string): boolean {
  return /^(\.|out\/|node_modules\/|ffi\/build\/|fixtures\/)/.test(rel) || rel.includes("/.") ||
    rel.endsWith(".tmp");
}

function git(args: string[]): string | undefined {
  try {
    const o = new Deno.Command("git", { args, cwd: REPO_ROOT, stdout: "piped", stderr: "null" }).outputSync();
    return o.success ? new TextDecoder().decode(o.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/** The checkout's source files: git's tracked and untracked-but-not-ignored files, else a walk. */
function sourceFiles(): string[] {
  const listed = git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
  const files = listed !== undefined
    ? listed.split("\0").filter((f) => f && isFile(join(REPO_ROOT, f)))
    : listTree(REPO_ROOT, (r) => skipped(r + "/") || r === ".tools" || r === ".git");
  return [...new Set(files)].filter((f) => !skipped(f)).sort(byteOrder);
}

function isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}

function copyFile(src: string, dest: string): number {
  Deno.mkdirSync(dirname(dest), { recursive: true });
  Deno.copyFileSync(src, dest);
  const st = Deno.statSync(src);
  Deno.chmodSync(dest, (st.mode ?? 0o644) & 0o111 ? 0o755 : 0o644);
  return st.size;
}

/** Copy a file or a folder (recursively); returns bytes copied. */
function copyPath(src: string, dest: string): number {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(src);
  } catch {
    throw new Error(`Cannot bundle ${src}: it does not exist`);
  }
  if (!st.isDirectory) return copyFile(src, dest);
  let n = 0;
  for (const rel of listTree(src)) n += copyFile(join(src, rel), join(dest, rel));
  return n;
}

function treeSize(dir: string): number {
  try {
    return listTree(dir).reduce((a, r) => a + Deno.statSync(join(dir, r)).size, 0);
  } catch {
    return 0;
  }
}

/**
 * npm packages a libtorch bundle leaves out: the ONNX engine's runtime (288 MB, every platform's
 * binaries). An ONNX bundle keeps it, with only this platform's binaries ({@linkcode ortPlatformOnly}).
 */
const LEFT_OUT = ["onnxruntime-node"];

/** onnxruntime-node's folder for this platform (`bin/napi-v6/<os>/<arch>`). */
export function ortPlatform(): string {
  const arch = { x86_64: "x64", aarch64: "arm64" }[Deno.build.arch as string] ?? Deno.build.arch;
  return `${Deno.build.os === "windows" ? "win32" : Deno.build.os}/${arch}`;
}

/**
 * Remove every other platform's native binaries from onnxruntime-node in a DENO_DIR (about
 * 240 of its 288 MB); returns the package folder. Its install script, which fetches GPU
 * providers, is never run (Deno runs no npm lifecycle scripts), so there are none to remove.
 */
function ortPlatformOnly(denoDir: string): string {
  const pkg = join(denoDir, "npm/registry.npmjs.org/onnxruntime-node", ORT_VERSION);
  const bin = join(pkg, "bin/napi-v6");
  const [os, arch] = ortPlatform().split("/");
  try {
    Deno.statSync(join(bin, os, arch, "onnxruntime_binding.node"));
  } catch {
    throw new Error(
      `Cannot bundle the ONNX engine: onnxruntime-node ${ORT_VERSION} has no binary for ${ortPlatform()} in ${bin}`,
    );
  }
  for (const o of Deno.readDirSync(bin)) {
    if (o.name !== os) Deno.removeSync(join(bin, o.name), { recursive: true });
  }
  for (const a of Deno.readDirSync(join(bin, os))) {
    if (a.name !== arch) Deno.removeSync(join(bin, os, a.name), { recursive: true });
  }
  return pkg;
}

/**
 * Drop `LEFT_OUT` and what only they need from the bundle's deno.lock: Deno installs every
 * package of the lockfile's npm snapshot at start-up, so a package the bundle does not carry
 * must not be listed there. Everything else keeps the checkout's versions and integrity.
 */
function pruneLock(lockPath: string): void {
  const lock = JSON.parse(Deno.readTextFileSync(lockPath));
  const npm: Record<string, { dependencies?: string[] }> = lock.npm ?? {};
  const specifiers: Record<string, string> = lock.specifiers ?? {};
  const named = (s: string) => LEFT_OUT.some((p) => s === `npm:${p}` || s.startsWith(`npm:${p}@`));
  for (const k of Object.keys(specifiers)) if (named(k)) delete specifiers[k];
  const keysOf = (dep: string): string[] =>
    npm[dep]
      ? [dep]
      : Object.keys(npm).filter((k) => k.startsWith(`${dep}@`) && !k.slice(dep.length + 1).includes("@"));
  const keep = new Set<string>();
  const visit = (key: string) => {
    if (keep.has(key) || !npm[key]) return;
    keep.add(key);
    for (const d of npm[key].dependencies ?? []) keysOf(d).forEach(visit);
  };
  for (const [spec, version] of Object.entries(specifiers)) {
    const m = /^npm:((?:@[^/]+\/)?[^@]+)@/.exec(spec);
    if (m) keysOf(`${m[1]}@${version}`).concat(keysOf(`${m[1]}@${version.split("_")[0]}`)).forEach(visit);
  }
  for (const k of Object.keys(npm)) if (!keep.has(k)) delete npm[k];
  Deno.writeTextFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
}

/**
 * Mark onnxruntime-node as a package without lifecycle scripts in the bundle's deno.lock: its
 * install script (which fetches GPU providers) is never run in a bundle, and Deno, seeing the
 * flag, would warn ("Ignored build scripts") and write a `.scripts-warned-<hash of the bundle's
 * path>` file into the bundle's npm cache, which `verify` would then report as an extra file.
 */
function dropInstallScripts(lockPath: string): void {
  const lock = JSON.parse(Deno.readTextFileSync(lockPath));
  const entry = lock.npm?.[`onnxruntime-node@${ORT_VERSION}`];
  if (!entry) {
    throw new Error(`Cannot bundle the ONNX engine: deno.lock does not pin onnxruntime-node@${ORT_VERSION}`);
  }
  delete entry.scripts;
  Deno.writeTextFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
}

/** Fill `<dir>/data/deno_dir` with exactly the npm packages the entry points import. */
async function fillDenoDir(
  app: string,
  work: string,
  target: string,
  log: (s: string) => void,
  extra: string[] = [],
): Promise<void> {
  const entries = listTree(app).filter((f) =>
    /^(tasks|bench|bundle)\/[^/]+\.ts$/.test(f) && !f.includes("_test.") && !f.includes("_bench.")
  ).concat(extra);
  log(`filling DENO_DIR from ${entries.length} entry points (deno cache)`);
  const o = await runChild(Deno.execPath(), [
    "cache",
    "--frozen",
    "--config",
    join(app, "deno.json"),
    ...entries,
  ], {
    cwd: app,
    env: { DENO_DIR: work, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  if (!o.success) {
    throw new Error(
      `Cannot fill the bundle's DENO_DIR: deno cache failed (the npm registry must be reachable while bundling):\n${
        new TextDecoder().decode(o.stderr).trim()
      }`,
    );
  }
  // only the packages and their metadata: Deno's sqlite caches and transpiled code are rebuilt
  // on the target (in the bundle's var/), and they differ from run to run
  for (const d of ["npm", "remote"]) {
    try {
      copyPath(join(work, d), join(target, d));
    } catch { /* absent */ }
  }
}

/** The libraries (other than glibc's own) `ldd` resolves for a file. */
function lddLibraries(lib: string): string[] {
  const o = new Deno.Command("ldd", { args: [lib], stdout: "piped", stderr: "piped" }).outputSync();
  const text = new TextDecoder().decode(o.stdout);
  const glibc = /^(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux[^.]*)\.so/;
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(\S+) => (\S+)/gm)) {
    if (m[2] === "not") throw new Error(`Cannot bundle libtorch: ${m[1]} of ${lib} is not found`);
    if (!glibc.test(m[1])) out.push(m[2]);
  }
  return out;
}

/**
 * Write a bundle.
 *
 * @param options Where to, which experiments and extras, archive or not.
 * @returns The bundle folder, its manifest's SHA-256 and, when asked, the archive.
 * @throws {Error} On a bad option, a missing input, a failed DENO_DIR fill or library build;
 *   nothing is left behind then.
 */
export async function createBundle(options: CreateOptions): Promise<CreateResult> {
  const log = options.log ?? ((s: string) => console.error(s));
  const out = resolve(options.out);
  const name = basename(out);
  for (const p of [out, ...(options.archive ? [archivePath(out)] : [])]) {
    try {
      Deno.statSync(p);
      throw new Error(`Cannot create the bundle: ${p} already exists (remove it or choose another --out)`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  if (!relative(REPO_ROOT, out).startsWith("..") && !relative(REPO_ROOT, out).startsWith("out/")) {
    // inside the checkout the bundle would bundle itself next time
    if (git(["check-ignore", "-q", relative(REPO_ROOT, out)]) === undefined) {
      throw new Error(
        `Cannot create the bundle inside the checkout at ${out}: choose a folder outside it or under out/`,
      );
    }
  }
  const engine = options.engine ?? "libtorch";
  if (engine !== "libtorch" && engine !== "onnx") {
    throw new Error(`Cannot create the bundle: --engine must be libtorch or onnx, got ${engine}`);
  }
  if (engine === "onnx" && options.withLibtorch) {
    throw new Error(
      "Cannot create the bundle: --with-libtorch and --engine onnx exclude each other (an ONNX bundle carries no libtorch)",
    );
  }
  const needs = bundleNeeds(REPO_ROOT, options.experiments ?? []);
  for (
    const [flag, paths] of [["--checkpoint", options.checkpoints ?? []], [
      "--data",
      options.data ?? [],
    ]] as const
  ) {
    for (const p of paths) {
      try {
        Deno.statSync(p);
      } catch {
        throw new Error(`Cannot bundle ${flag} ${p}: it does not exist`);
      }
    }
  }
  Deno.mkdirSync(dirname(out), { recursive: true });
  removeStalePartials(dirname(out), name);
  const tmp = join(dirname(out), `.${name}.partial-${Deno.pid}`);
  const cleanup = () => {
    try {
      Deno.removeSync(tmp, { recursive: true });
    } catch { /* gone */ }
  };
  const onSignal = async () => {
    await killChildren();
    cleanup();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    Deno.mkdirSync(tmp);
    const dir = join(tmp, name);
    const result = await fill(dir, tmp, needs, options, log);
    if (options.archive) {
      const dest = join(tmp, `${name}.tar.xz`);
      log(`writing ${archivePath(out)} (tar, xz -9, one thread)`);
      const sha = await writeArchive(dir, dest, Number(git(["log", "-1", "--format=%ct"])?.trim() || 0));
      const parts = options.split ? await splitFile(dest, options.split) : [];
      const final = archivePath(out);
      const moves = [dest, `${dest}.sha256`, ...parts, ...(parts.length ? [`${dest}.parts.sha256`] : [])];
      for (const m of moves) await Deno.rename(m, join(dirname(out), basename(m)));
      result.archive = {
        path: final,
        sha256: sha,
        bytes: Deno.statSync(final).size,
        parts: parts.map((p) => join(dirname(out), basename(p))),
      };
    }
    await Deno.rename(dir, out);
    result.dir = out;
    return result;
  } finally {
    cleanup();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

/** Remove what a killed `bundle create` (SIGKILL, power loss) left: partial folders of dead processes. */
function removeStalePartials(parent: string, name: string): void {
  for (const e of Deno.readDirSync(parent)) {
    const prefix = `.${name}.partial-`;
    const pid = e.name.startsWith(prefix) ? e.name.slice(prefix.length) : "";
    if (!/^\d+$/.test(pid)) continue;
    try {
      Deno.statSync(`/proc/${pid}`);
    } catch {
      Deno.removeSync(join(parent, e.name), { recursive: true });
    }
  }
}

async function fill(
  dir: string,
  tmp: string,
  needs: Map<string, ExperimentNeeds>,
  options: CreateOptions,
  log: (s: string) => void,
): Promise<CreateResult> {
  const data = join(dir, "data");
  const app = join(data, "app");
  const sizes: Record<string, number> = {};
  const engine = options.engine ?? "libtorch";
  const commit = git(["rev-parse", "HEAD"])?.trim() ?? null;

  // an ONNX bundle: train and export here, and carry experiments that sample the exported models
  let onnx: OnnxModels | undefined;
  if (engine === "onnx") {
    // training here needs the native library (built, or reused when its sources are unchanged)
    const trains = [...needs.values()].some((n) => {
      const raw = parseYaml(Deno.readTextFileSync(join(REPO_ROOT, n.yaml))) as {
        models?: Record<string, unknown>;
      };
      return Object.values(raw.models ?? {}).some((m) => !!(m as { train?: unknown } | null)?.train);
    });
    if (trains && !Deno.env.get("CRYSTALLM_LIB")) {
      const { buildFfi } = await import("../ffi/build.ts");
      log("building (or reusing) ffi/build/libcrystallm.so to train the models");
      await buildFfi();
    }
    onnx = await prepareOnnxModels(REPO_ROOT, [...needs.keys()], join(tmp, "onnx-train"), app, commit, log);
    needs = bundleNeeds(REPO_ROOT, [...needs.keys()], onnx.yaml);
    sizes.models = onnx.models.reduce((a, m) => a + m.bytes, 0);
  }

  // the harness source, with only the needed experiments, snapshots and fixtures
  const wanted = new Set<string>();
  for (const n of needs.values()) {
    wanted.add(n.yaml);
    for (const s of n.snapshots) wanted.add(s);
  }
  let bytes = 0;
  for (const f of sourceFiles()) {
    if (/^(experiments|snapshots)\//.test(f) && !wanted.has(f)) continue;
    // an ONNX bundle builds nothing: the native library's C++ sources and CMake files stay out
    if (onnx && /^ffi\//.test(f) && !f.endsWith(".ts")) continue;
    bytes += copyFile(join(REPO_ROOT, f), join(app, f));
  }
  for (const [name, text] of onnx?.yaml ?? []) {
    Deno.writeTextFileSync(join(app, "experiments", `${name}.yaml`), text);
  }
  sizes.app = bytes;
  bytes = 0;
  const fixtures = [...new Set([...needs.values()].flatMap((n) => n.files))].sort(byteOrder);
  for (const f of fixtures) bytes += copyPath(join(REPO_ROOT, f), join(app, f));
  sizes.fixtures = bytes;
  const dirty = (git(["status", "--porcelain", "--untracked-files=no"]) ?? "").trim() !== "";
  if (commit) Deno.writeTextFileSync(join(app, "COMMIT"), commit + "\n");

  // Deno and its cache
  log(`copying Deno ${Deno.version.deno} (${Deno.execPath()})`);
  sizes.deno = copyFile(Deno.execPath(), join(data, "bin/deno"));
  Deno.chmodSync(join(data, "bin/deno"), 0o755);
  let ortBinding: string | undefined;
  if (onnx) {
    dropInstallScripts(join(app, "deno.lock"));
    await fillDenoDir(app, join(tmp, "deno_dir.work"), join(data, "deno_dir"), log, [
      `npm:onnxruntime-node@${ORT_VERSION}`,
    ]);
    const pkg = ortPlatformOnly(join(data, "deno_dir"));
    ortBinding = relative(dir, join(pkg, "bin/napi-v6", ortPlatform(), "onnxruntime_binding.node"));
    log(`onnxruntime-node ${ORT_VERSION}: kept only the ${ortPlatform()} binaries`);
  } else {
    pruneLock(join(app, "deno.lock"));
    await fillDenoDir(app, join(tmp, "deno_dir.work"), join(data, "deno_dir"), log);
  }
  sizes.deno_dir = treeSize(join(data, "deno_dir"));

  // the native library: the checkout's CPU build, made relocatable (none in an ONNX bundle)
  let libtorch: Record<string, unknown> | null = null;
  if (!onnx) {
    const { buildFfi, findLibtorch } = await import("../ffi/build.ts");
    log("building (or reusing) ffi/build/libcrystallm.so");
    const built = await buildFfi();
    const lib = join(data, "lib/libcrystallm.so");
    copyFile(built, lib);
    setRunpath(lib, "$ORIGIN");
    const { loadLibrary } = await import("../ffi/mod.ts");
    const rt = loadLibrary({ path: built, numThreads: 1 });
    const torch = findLibtorch();
    if (options.withLibtorch) {
      log("copying libtorch and the libraries it needs (--with-libtorch)");
      for (const l of lddLibraries(built)) copyFile(l, join(data, "lib", basename(l)));
    }
    libtorch = {
      version: rt.torch_version,
      source: torch?.source.replace(/^python:.*/, "python") ?? "unknown",
      cxx11_abi: rt.cxx11_abi,
      bundled: !!options.withLibtorch,
    };
  }
  sizes.lib = treeSize(join(data, "lib"));

  // shared data and extra paths
  bytes = 0;
  for (const s of [...new Set([...needs.values()].flatMap((n) => n.shared))].sort(byteOrder)) {
    bytes += copyPath(join(sharedDir(), s), join(data, "shared", s));
  }
  sizes.shared = bytes;
  bytes = 0;
  const extras: Record<string, string[]> = { checkpoints: [], data: [] };
  for (
    const [kind, paths] of [["checkpoints", options.checkpoints ?? []], ["data", options.data ?? []]] as const
  ) {
    for (const p of paths) {
      const dest = `data/extra/${kind}/${basename(resolve(p))}`;
      if (extras[kind].includes(dest)) {
        throw new Error(
          `Cannot bundle --${kind === "data" ? "data" : "checkpoint"} ${p}: another path has the name ${
            basename(p)
          }`,
        );
      }
      bytes += copyPath(resolve(p), join(dir, dest));
      extras[kind].push(dest);
    }
  }
  sizes.extra = bytes;

  // glibc floor: the highest GLIBC_x version any native file needs
  const natives = listTree(data).filter((f) =>
    /^(bin\/deno|lib\/.+\.so(\.[\d.]+)?|deno_dir\/npm\/.+\.(so(\.[\d.]+)?|node))$/.test(f)
  );
  const floors: Record<string, string | null> = {};
  for (const f of natives) floors[`data/${f}`] = glibcFloor(join(data, f)) ?? null;
  const floor = Object.values(floors).filter((v): v is string => !!v).sort(compareVersions).pop() ?? null;

  // launcher and descriptions
  copyFile(new URL("./launcher.sh", import.meta.url).pathname, join(dir, "crystallm"));
  Deno.chmodSync(join(dir, "crystallm"), 0o755);
  sizes.total = Object.values(sizes).reduce((a, b) => a + b, 0);
  const info = {
    format: "crystallm-bundle/1",
    harness: { commit, dirty, version: "0.1.0" },
    deno: { version: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript },
    engine,
    libtorch,
    ...(onnx
      ? {
        onnx: {
          runtime: `onnxruntime-node@${ORT_VERSION}`,
          platform: ortPlatform(),
          binding: ortBinding,
          models: onnx.models,
        },
      }
      : {}),
    glibc: { floor, files: floors },
    experiments: Object.fromEntries(needs),
    extra: extras,
    sizes,
  };
  Deno.writeTextFileSync(join(dir, "bundle.json"), JSON.stringify(info, null, 2) + "\n");
  Deno.writeTextFileSync(join(dir, "README.txt"), readme(info.experiments, engine));

  // permissions as written (the archive stores them), then the manifests
  for (const d of [dir, ...listDirs(dir)]) Deno.chmodSync(d, 0o755);
  log("hashing every file (manifest-sha256.txt)");
  const manifestSha256 = await writeBag(dir, [
    ["Source-Organization", "crystallm-harness"],
    [
      "External-Description",
      `Offline bundle of crystallm-harness ${commit ?? ""}: experiments ${[...needs.keys()].join(", ")}`,
    ],
    ["Bag-Software-Agent", `crystallm bundle create (Deno ${Deno.version.deno})`],
    ["External-Identifier", commit ?? "unknown"],
    ["Crystallm-Engine", engine],
  ]);
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile) Deno.chmodSync(join(dir, e.name), e.name === "crystallm" ? 0o755 : 0o644);
  }
  return { dir, manifestSha256, info };
}

function listDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      if (e.isDirectory) {
        out.push(join(d, e.name));
        walk(join(d, e.name));
      }
    }
  };
  walk(root);
  return out;
}

function readme(experiments: Record<string, unknown>, engine: BundleEngine): string {
  const names = Object.keys(experiments);
  const setup = engine === "onnx"
    ? `  ./crystallm setup                       nothing to build: checks that onnxruntime-node loads
                                          and runs the bundled models (the ONNX engine, no libtorch)
`
    : `  ./crystallm setup                       use the prebuilt libcrystallm.so, or build one against
                                          python3's torch (or LIBTORCH / Torch_DIR) with CMake
`;
  return `crystallm-harness offline bundle
================================

Experiments: ${names.join(", ")}
Engine: ${engine}${
    engine === "onnx"
      ? " (the models were trained before bundling and are sampled from data/app/models/*.onnx)"
      : ""
  }

  ./crystallm verify                      check every file, glibc, the native library, the GPU driver
${setup}  ./crystallm audit ${names[0] ?? "<experiment>"} --profile ci    rerun and compare with the snapshot
  ./crystallm --help                      every command (as \`deno task crystallm\` in a checkout)

Nothing here needs root or the network. Outputs go to var/out (or --out); when this folder is
read-only, var/ lives in $TMPDIR instead. manifest-sha256.txt lists every file under data/ in
sha256sum format; its own SHA-256 (printed by verify) identifies the bundle.
`;
}
