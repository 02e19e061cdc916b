/**
 * Build ffi/libcrystallm.so against libtorch with CMake (`deno task build:ffi` runs it through
 * tasks/build_ffi.ts).
 *
 * libtorch is looked for, in order:
 *  1. `LIBTORCH` (an unpacked libtorch zip) or `Torch_DIR` (the folder of TorchConfig.cmake);
 *  2. a Python that has torch (`CRYSTALLM_PYTHON`, `python3` on PATH, `/usr/bin/python3`),
 *     through `torch.utils.cmake_prefix_path`: how a user without root gets CUDA;
 *  3. Debian's `libtorch-dev` (CPU), `/usr/lib/<multiarch>/cmake/Torch`.
 *
 * The result is cached in ffi/build/ by a hash of the sources and the libtorch found.
 * After building it checks the `_GLIBCXX_USE_CXX11_ABI` flag against libtorch's own
 * symbols: a mismatch loads fine and then kills the process on the first call.
 *
 * Try: `deno task build:ffi`, `LIBTORCH=/opt/libtorch deno task build:ffi --force`.
 *
 * @module
 */

const FFI_DIR = new URL("./", import.meta.url).pathname;
/** Build folder: `CRYSTALLM_BUILD_DIR` (an offline bundle points it at its writable state), else ffi/build. */
const BUILD_DIR = Deno.env.get("CRYSTALLM_BUILD_DIR")?.replace(/\/+$/, "") || `${FFI_DIR}build`;
const LIB_NAME = Deno.build.os === "darwin" ? "libcrystallm.dylib" : "libcrystallm.so";
/** The files the library is built from: every C++ source and header of ffi/, and CMakeLists.txt. */
function sources(): string[] {
  return [...Deno.readDirSync(FFI_DIR)]
    .filter((e) => e.isFile && (/\.(cpp|cc|h|hpp)$/.test(e.name) || e.name === "CMakeLists.txt"))
    .map((e) => e.name)
    .sort();
}

/** Where libtorch was found. */
export interface LibtorchLocation {
  /** Folder holding TorchConfig.cmake. */
  torchDir: string;
  /** How it was found: `LIBTORCH`, `Torch_DIR`, `python:<path>` or `debian`. */
  source: string;
  /** libtorch's C++ ABI flag when the source reports it (Python's torch does). */
  cxx11Abi?: number;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[], options: { env?: Record<string, string> } = {}) {
  try {
    const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", env: options.env })
      .outputSync();
    const dec = new TextDecoder();
    return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    return { ok: false, stdout: "", stderr: String(e) };
  }
}

/**
 * Find libtorch (see the module doc for the order).
 *
 * @returns The location, or `undefined` when there is none.
 */
export function findLibtorch(): LibtorchLocation | undefined {
  const lt = Deno.env.get("LIBTORCH");
  if (lt) {
    const dir = `${lt.replace(/\/+$/, "")}/share/cmake/Torch`;
    if (!exists(`${dir}/TorchConfig.cmake`)) {
      throw new Error(`Cannot use LIBTORCH=${lt}: no ${dir}/TorchConfig.cmake`);
    }
    return { torchDir: dir, source: "LIBTORCH" };
  }
  const td = Deno.env.get("Torch_DIR");
  if (td) {
    if (!exists(`${td}/TorchConfig.cmake`)) {
      throw new Error(`Cannot use Torch_DIR=${td}: no TorchConfig.cmake there`);
    }
    return { torchDir: td, source: "Torch_DIR" };
  }
  const pythons = [Deno.env.get("CRYSTALLM_PYTHON"), "python3", "/usr/bin/python3"].filter((p): p is string =>
    !!p
  );
  for (const py of new Set(pythons)) {
    const r = run(py, [
      "-c",
      "import torch, torch.utils; print(torch.utils.cmake_prefix_path); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))",
    ]);
    if (!r.ok) continue;
    const [prefix, abi] = r.stdout.trim().split("\n");
    const dir = `${prefix}/Torch`;
    // Debian's python3-torch reports a prefix without CMake files: fall through to libtorch-dev
    if (exists(`${dir}/TorchConfig.cmake`)) {
      return { torchDir: dir, source: `python:${py}`, cxx11Abi: Number(abi) };
    }
  }
  const multiarch = run("gcc", ["-print-multiarch"]).stdout.trim() || "x86_64-linux-gnu";
  const debian = `/usr/lib/${multiarch}/cmake/Torch`;
  if (exists(`${debian}/TorchConfig.cmake`)) return { torchDir: debian, source: "debian" };
  return undefined;
}

async function sourceHash(loc: LibtorchLocation): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const f of sources()) parts.push(await Deno.readFile(`${FFI_DIR}${f}`));
  parts.push(new TextEncoder().encode(`${loc.torchDir}\n${Deno.env.get("CXX") ?? ""}`));
  const all = new Uint8Array(parts.reduce((a, p) => a + p.length + 1, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length + 1;
  }
  const d = await crypto.subtle.digest("SHA-256", all);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sourceTag(): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(FFI_DIR));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function withLock<T>(fn: () => T | Promise<T>): Promise<T> {
  // several test files may build at once under `deno test --parallel`: mkdir is atomic
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const tag = (await sourceTag()).slice(0, 16);
  const lock = `${tmp}/crystallm-build-${tag}.lock`;
  const start = Date.now();
  while (true) {
    try {
      Deno.mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (Deno.statSync(lock).mtime?.getTime() ?? Date.now());
      if (age > 15 * 60_000) {
        Deno.removeSync(lock, { recursive: true }); // stale lock of a killed build
        continue;
      }
      if (Date.now() - start > 20 * 60_000) {
        throw new Error(`Cannot build libcrystallm: ${lock} held too long`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    Deno.removeSync(lock, { recursive: true });
  }
}

function checkAbi(lib: string, flagFromCmake: number | undefined, loc: LibtorchLocation): void {
  // the libc10 the library really loads, and its std::string ABI from its symbols
  const ldd = run("ldd", [lib]);
  const c10 = /libc10\.so\S*\s+=>\s+(\S+)/.exec(ldd.stdout)?.[1];
  let torchAbi = loc.cxx11Abi;
  if (c10) {
    const nm = run("nm", ["-D", "--defined-only", c10]);
    if (nm.ok) torchAbi = /__cxx11/.test(nm.stdout) ? 1 : 0;
  }
  if (torchAbi !== undefined && flagFromCmake !== undefined && torchAbi !== flagFromCmake) {
    throw new Error(
      `Cannot use libcrystallm: built with _GLIBCXX_USE_CXX11_ABI=${flagFromCmake} but libtorch (${
        c10 ?? loc.torchDir
      }) uses ${torchAbi}; the library would load and then crash on the first call\n---> HINT: use a libtorch ` +
        `"cxx11 ABI" build, or set Torch_DIR to the libtorch your compiler matches`,
    );
  }
}

function warnSlowBlas(lib: string): void {
  // Debian's libtorch calls whatever libblas.so.3 the alternatives system points at; the
  // reference BLAS is ~25x slower than OpenBLAS on this kind of machine
  const ldd = run("ldd", [lib]).stdout;
  const blas = /libblas\.so\.3\s+=>\s+(\S+)/.exec(ldd)?.[1];
  if (!blas) return;
  const real = (() => {
    try {
      return Deno.realPathSync(blas);
    } catch {
      return blas;
    }
  })();
  if (/\/blas\/libblas/.test(real)) {
    console.error(
      `Warning: libtorch uses the reference BLAS (${real}), about 25x slower than OpenBLAS\n` +
        "---> HINT: apt-get install libopenblas0-pthread",
    );
  }
}

/** Options for {@linkcode buildFfi}. */
export interface BuildOptions {
  /** Rebuild even when the cached hash matches. @default {false} */
  force?: boolean;
  /** Print CMake output. @default {false} */
  verbose?: boolean;
  /** Parallel compile jobs. @default {$CRYSTALLM_BUILD_JOBS or 2} */
  jobs?: number;
}

/**
 * Build (or reuse) ffi/build/libcrystallm.so.
 *
 * @param options Force, verbosity, jobs.
 * @returns Path of the library.
 * @throws {Error} When libtorch is not found, CMake fails, or the C++ ABI flags differ.
 *
 * @example Build before loading
 * ```ts ignore
 * import { buildFfi } from "./build.ts";
 * const lib = await buildFfi();
 * ```
 */
export async function buildFfi(options: BuildOptions = {}): Promise<string> {
  const loc = findLibtorch();
  if (!loc) {
    throw new Error(
      "Cannot build libcrystallm: libtorch not found\n---> HINT: `apt-get install libtorch-dev libopenblas0-pthread`, " +
        "or set LIBTORCH / Torch_DIR, or use a Python with torch (CRYSTALLM_PYTHON)",
    );
  }
  const lib = `${BUILD_DIR}/${LIB_NAME}`;
  const hash = await sourceHash(loc);
  const stamp = `${BUILD_DIR}/source_hash.txt`;
  const isFresh = () =>
    !options.force && exists(lib) && exists(stamp) && Deno.readTextFileSync(stamp).trim() === hash;
  if (isFresh()) return lib;
  return await withLock(() => {
    if (isFresh()) return lib; // another process built it while we waited
    Deno.mkdirSync(BUILD_DIR, { recursive: true });
    const generator = run("ninja", ["--version"]).ok ? ["-G", "Ninja"] : [];
    if (exists(`${BUILD_DIR}/CMakeCache.txt`)) {
      const cache = Deno.readTextFileSync(`${BUILD_DIR}/CMakeCache.txt`);
      // a cache made with another generator or libtorch refuses to reconfigure
      if (
        !cache.includes(`Torch_DIR:PATH=${loc.torchDir}`) ||
        (generator.length > 0) !== cache.includes("Ninja")
      ) {
        Deno.removeSync(BUILD_DIR, { recursive: true });
        Deno.mkdirSync(BUILD_DIR, { recursive: true });
      }
    }
    const log = (s: string) => options.verbose && console.error(s);
    console.error(`Building libcrystallm against libtorch from ${loc.source} (${loc.torchDir})`);
    const conf = run("cmake", [
      "-S",
      FFI_DIR,
      "-B",
      BUILD_DIR,
      ...generator,
      `-DTorch_DIR=${loc.torchDir}`,
      "-DCMAKE_BUILD_TYPE=Release",
    ]);
    log(conf.stdout + conf.stderr);
    if (!conf.ok) {
      throw new Error(`Cannot build libcrystallm: cmake configure failed:\n${conf.stdout}${conf.stderr}`);
    }
    const jobs = options.jobs ?? Number(Deno.env.get("CRYSTALLM_BUILD_JOBS") ?? 2);
    const build = run("cmake", ["--build", BUILD_DIR, "-j", String(jobs)]);
    log(build.stdout + build.stderr);
    if (!build.ok) {
      throw new Error(`Cannot build libcrystallm: compile failed:\n${build.stdout}${build.stderr}`);
    }
    const flags = /crystallm: Torch \S* flags '([^']*)'/.exec(conf.stdout)?.[1] ?? "";
    const abiFlag = /_GLIBCXX_USE_CXX11_ABI=(\d)/.exec(flags)?.[1];
    checkAbi(lib, abiFlag === undefined ? undefined : Number(abiFlag), loc);
    warnSlowBlas(lib);
    Deno.writeTextFileSync(stamp, hash + "\n");
    return lib;
  });
}
