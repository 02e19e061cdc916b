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
 * <out>/data/shared/              `shared:` data the experiments read
 * <out>/data/extra/{checkpoints,data}/   --checkpoint and --data paths
 * ```
 *
 * The folder is written under a temporary name beside `--out` and renamed at the end, so an
 * interrupted run leaves no half bundle.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT, sharedDir } from "../core/paths.ts";
import { bundleNeeds, type ExperimentNeeds } from "./needs.ts";
import { byteOrder, listTree, writeBag } from "./manifest.ts";
import { compareVersions, glibcFloor, setRunpath } from "./elf.ts";
import { archivePath, splitFile, writeArchive } from "./archive.ts";
import { killChildren, runChild } from "./_proc.ts";

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

/** npm packages a bundle leaves out: the ONNX engine's runtime (288 MB, every platform's binaries). */
const LEFT_OUT = ["onnxruntime-node"];

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
    npm[dep] ? [dep] : Object.keys(npm).filter((k) => k.startsWith(`${dep}@`) && !k.slice(dep.length + 1).includes("@"));
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

/** Fill `<dir>/data/deno_dir` with exactly the npm packages the entry points import. */
async function fillDenoDir(
  app: string,
  work: string,
  target: string,
  log: (s: string) => void,
): Promise<void> {
  const entries = listTree(app).filter((f) =>
    /^(tasks|bench|bundle)\/[^/]+\.ts$/.test(f) && !f.includes("_test.") && !f.includes("_bench.")
  );
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

  // the harness source, with only the needed experiments, snapshots and fixtures
  const wanted = new Set<string>();
  for (const n of needs.values()) {
    wanted.add(n.yaml);
    for (const s of n.snapshots) wanted.add(s);
  }
  let bytes = 0;
  for (const f of sourceFiles()) {
    if (/^(experiments|snapshots)\//.test(f) && !wanted.has(f)) continue;
    bytes += copyFile(join(REPO_ROOT, f), join(app, f));
  }
  sizes.app = bytes;
  bytes = 0;
  const fixtures = [...new Set([...needs.values()].flatMap((n) => n.files))].sort(byteOrder);
  for (const f of fixtures) bytes += copyPath(join(REPO_ROOT, f), join(app, f));
  sizes.fixtures = bytes;
  const commit = git(["rev-parse", "HEAD"])?.trim() ?? null;
  const dirty = (git(["status", "--porcelain", "--untracked-files=no"]) ?? "").trim() !== "";
  if (commit) Deno.writeTextFileSync(join(app, "COMMIT"), commit + "\n");

  // Deno and its cache
  log(`copying Deno ${Deno.version.deno} (${Deno.execPath()})`);
  sizes.deno = copyFile(Deno.execPath(), join(data, "bin/deno"));
  Deno.chmodSync(join(data, "bin/deno"), 0o755);
  pruneLock(join(app, "deno.lock"));
  await fillDenoDir(app, join(tmp, "deno_dir.work"), join(data, "deno_dir"), log);
  sizes.deno_dir = treeSize(join(data, "deno_dir"));

  // the native library: the checkout's CPU build, made relocatable
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
  const natives = listTree(data).filter((f) => /^(bin\/deno|lib\/.+\.so(\.[\d.]+)?)$/.test(f));
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
    libtorch: {
      version: rt.torch_version,
      source: torch?.source.replace(/^python:.*/, "python") ?? "unknown",
      cxx11_abi: rt.cxx11_abi,
      bundled: !!options.withLibtorch,
    },
    glibc: { floor, files: floors },
    experiments: Object.fromEntries(needs),
    extra: extras,
    sizes,
  };
  Deno.writeTextFileSync(join(dir, "bundle.json"), JSON.stringify(info, null, 2) + "\n");
  Deno.writeTextFileSync(join(dir, "README.txt"), readme(info.experiments));

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

function readme(experiments: Record<string, unknown>): string {
  const names = Object.keys(experiments);
  return `crystallm-harness offline bundle
================================

Experiments: ${names.join(", ")}

  ./crystallm verify                      check every file, glibc, the native library, the GPU driver
  ./crystallm setup                       use the prebuilt libcrystallm.so, or build one against
                                          python3's torch (or LIBTORCH / Torch_DIR) with CMake
  ./crystallm audit ${names[0] ?? "<experiment>"} --profile ci    rerun and compare with the snapshot
  ./crystallm --help                      every command (as \`deno task crystallm\` in a checkout)

Nothing here needs root or the network. Outputs go to var/out (or --out); when this folder is
read-only, var/ lives in $TMPDIR instead. manifest-sha256.txt lists every file under data/ in
sha256sum format; its own SHA-256 (printed by verify) identifies the bundle.
`;
}
