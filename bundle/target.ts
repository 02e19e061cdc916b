/**
 * The bundle's own commands on the target machine, run by its launcher:
 *
 * ```
 * ./crystallm verify     (target.ts verify <bundle>)
 * ./crystallm setup      (target.ts setup <bundle>)
 * ```
 *
 * `verify` checks every file against the BagIt manifests, the machine's glibc against the
 * bundle's floor, that libcrystallm.so resolves its libraries (`ldd`), and reports the GPU
 * driver; `setup` picks the prebuilt library when it loads, else builds one against the
 * machine's libtorch. An ONNX bundle (`bundle create --engine onnx`) has no native library of
 * its own: verify checks onnxruntime-node's binding instead, and setup builds nothing but loads
 * the runtime and runs each bundled model once. Only `node:` built-ins and local modules are imported, so both run
 * even when the npm cache of the bundle is damaged.
 *
 * @module
 */
import { join } from "node:path";
import { checkBag, STATE_DIR } from "./manifest.ts";
import { compareVersions } from "./elf.ts";

/** bundle.json, as far as the target reads it. */
export interface BundleInfo {
  format: string;
  harness: { commit: string | null; dirty: boolean; version: string };
  deno: { version: string };
  /** `onnx` for a bundle made with `--engine onnx`; absent in bundles older than the option. */
  engine?: "libtorch" | "onnx";
  /** null in an ONNX bundle. */
  libtorch: { version: string; source: string; cxx11_abi: number | null; bundled: boolean } | null;
  onnx?: {
    runtime: string;
    platform: string;
    /** onnxruntime-node's native binding, relative to the bundle. */
    binding: string;
    models: {
      file: string;
      experiment: string;
      model: string;
      profiles: (string | null)[];
      sha256: string;
    }[];
  };
  glibc: { floor: string | null; files: Record<string, string | null> };
  experiments: Record<string, unknown>;
  sizes: Record<string, number>;
}

function sh(cmd: string, args: string[], env?: Record<string, string>) {
  try {
    const o = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", env }).outputSync();
    const dec = new TextDecoder();
    return { ok: o.success, code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr), found: true };
  } catch {
    return { ok: false, code: -1, out: "", err: "", found: false };
  }
}

/** The machine's glibc version (`getconf GNU_LIBC_VERSION`, else `ldd --version`), or undefined. */
export function machineGlibc(): string | undefined {
  const g = sh("getconf", ["GNU_LIBC_VERSION"]);
  const m = /glibc (\d+\.\d+)/.exec(g.out);
  if (m) return m[1];
  const l = sh("ldd", ["--version"]);
  return /(\d+\.\d+)\s*$/m.exec(l.out.split("\n")[0] ?? "")?.[1];
}

/** Read bundle.json. */
export function readBundleInfo(dir: string): BundleInfo {
  try {
    return JSON.parse(Deno.readTextFileSync(join(dir, "bundle.json")));
  } catch (e) {
    throw new Error(`Cannot read ${join(dir, "bundle.json")}: ${(e as Error).message}`);
  }
}

/** The state folder of a bundle: the launcher's, else <bundle>/var. */
function stateDir(dir: string): string {
  return Deno.env.get("CRYSTALLM_BUNDLE") === dir && Deno.env.get("CRYSTALLM_STATE")
    ? Deno.env.get("CRYSTALLM_STATE")!
    : join(dir, STATE_DIR);
}

/** The library `setup` chose, if any. */
function chosenLibrary(dir: string): string | undefined {
  try {
    return Deno.readTextFileSync(join(stateDir(dir), "lib.path")).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `ldd` of a library: the names it cannot resolve, or why it could not be checked. */
export function lddCheck(lib: string): { ok: boolean; unresolved: string[]; note?: string } {
  const r = sh("ldd", [lib]);
  if (!r.found) return { ok: false, unresolved: [], note: "ldd not found: cannot check its libraries" };
  const unresolved = [...r.out.matchAll(/^\s*(\S+) => not found/gm)].map((m) => m[1]);
  for (const m of (r.out + r.err).matchAll(/version `([^']+)' not found \(required by ([^)]+)\)/g)) {
    unresolved.push(`${m[1]} (required by ${m[2]})`);
  }
  if (!r.ok && !unresolved.length) return { ok: false, unresolved, note: (r.err || r.out).trim() };
  return { ok: unresolved.length === 0, unresolved: [...new Set(unresolved)] };
}

/** The GPU driver as nvidia-smi reports it, or undefined without nvidia-smi. */
export function gpuDriver(): string | undefined {
  const r = sh("nvidia-smi", ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]);
  if (!r.found) return undefined;
  return r.ok ? r.out.trim().split("\n").join("; ") : `nvidia-smi failed: ${(r.err || r.out).trim()}`;
}

/**
 * `verify`: print the report and return the exit code (0 only when everything holds).
 *
 * @param dir Bundle folder.
 */
export async function verify(dir: string): Promise<number> {
  const fails: string[] = [];
  const info = (() => {
    try {
      return readBundleInfo(dir);
    } catch (e) {
      fails.push((e as Error).message);
      return undefined;
    }
  })();
  if (info) {
    console.log(
      `bundle ${dir}: crystallm-harness ${info.harness.commit ?? "(no commit)"}${
        info.harness.dirty ? " (with uncommitted changes)" : ""
      }, ` +
        `Deno ${info.deno.version}, ` +
        (info.libtorch
          ? `libtorch ${info.libtorch.version} (${info.libtorch.bundled ? "bundled" : "not bundled"})`
          : `ONNX engine (${info.onnx?.runtime} for ${info.onnx?.platform}, ${info.onnx?.models.length} models), no libtorch`),
    );
  }
  const bag = await checkBag(dir);
  console.log(
    `files: ${bag.ok} intact, ${bag.missing.length} missing, ${bag.changed.length} changed, ${bag.extra.length} extra`,
  );
  for (const p of bag.missing) console.log(`  missing: ${p}`);
  for (const p of bag.changed) console.log(`  changed: ${p}`);
  for (const p of bag.extra) console.log(`  extra:   ${p}`);
  for (const p of bag.problems) console.log(`  problem: ${p}`);
  if (bag.missing.length || bag.changed.length || bag.extra.length || bag.problems.length) {
    fails.push("files differ from the manifest");
  }

  const glibc = machineGlibc();
  if (info?.onnx) {
    // every native file of an ONNX bundle must load: Deno and onnxruntime-node
    const floors = Object.entries(info.glibc.files);
    const ort = floors.filter(([f]) => f !== "data/bin/deno").map(([, v]) => v).filter((v): v is string =>
      !!v
    )
      .sort(compareVersions).pop();
    console.log(
      `glibc: ${glibc ?? "unknown (not glibc?)"} here; bundle floor ${
        info.glibc.floor ?? "none"
      } (Deno needs ${info.glibc.files["data/bin/deno"] ?? "none"}, onnxruntime-node ${ort ?? "none"})`,
    );
    for (const [f, v] of floors) {
      if (glibc && v && compareVersions(glibc, v) < 0) {
        fails.push(`glibc ${glibc} is older than the ${v} ${f} needs`);
      }
    }
    const binding = join(dir, info.onnx.binding);
    const ldd = lddCheck(binding);
    if (ldd.ok) console.log(`ONNX runtime: ${info.onnx.binding} resolves all its libraries`);
    else {
      console.log(
        `ONNX runtime: ${info.onnx.binding} does not load here (${
          ldd.note ?? `unresolved: ${ldd.unresolved.join(", ")}`
        })`,
      );
      fails.push("onnxruntime-node's native library does not resolve here");
    }
  } else if (info) {
    const files = info.glibc.files;
    const deno = files["data/bin/deno"];
    const lib = files["data/lib/libcrystallm.so"];
    const others = Object.entries(files).filter(([f]) =>
      f !== "data/bin/deno" && f !== "data/lib/libcrystallm.so"
    );
    const othersMax = others.map(([, v]) => v).filter((v): v is string => !!v).sort(compareVersions).pop();
    const parts = [`Deno needs ${deno ?? "none"}`, `libcrystallm.so ${lib ?? "none"}`];
    if (others.length) parts.push(`${others.length} bundled libtorch libraries up to ${othersMax ?? "none"}`);
    console.log(
      `glibc: ${glibc ?? "unknown (not glibc?)"} here; bundle floor ${info.glibc.floor ?? "none"} (${
        parts.join(", ")
      })`,
    );
    if (glibc && deno && compareVersions(glibc, deno) < 0) {
      fails.push(`glibc ${glibc} is older than the ${deno} Deno needs`);
    }
    if (glibc && lib && compareVersions(glibc, lib) < 0) {
      console.log(
        `  note: data/lib/libcrystallm.so needs glibc ${lib} and cannot load here; ./crystallm setup builds a library for this machine`,
      );
    }
    const tooNew = others.filter(([, v]) => glibc && v && compareVersions(glibc, v) < 0);
    if (tooNew.length) {
      console.log(
        `  note: ${tooNew.length} bundled libtorch libraries need a newer glibc (e.g. ${tooNew[0][0]} ${
          tooNew[0][1]
        }); ` +
          "./crystallm setup builds against this machine's libtorch instead",
      );
    }
  }

  const chosen = chosenLibrary(dir);
  const prebuilt = join(dir, "data/lib/libcrystallm.so");
  const lib = chosen ?? prebuilt;
  const ldd = info?.onnx ? undefined : lddCheck(lib);
  const label = chosen ? `libcrystallm.so chosen by setup (${chosen})` : "prebuilt data/lib/libcrystallm.so";
  if (!ldd) { /* an ONNX bundle: no libcrystallm.so */ }
  else if (ldd.ok) console.log(`native library: ${label} resolves all its libraries`);
  else {
    const why = ldd.note ?? `unresolved: ${ldd.unresolved.join(", ")}`;
    console.log(`native library: ${label} does not load here (${why})`);
    if (chosen) fails.push(`the library chosen by setup does not resolve: rerun ./crystallm setup`);
    else {console.log(
        "  ---> HINT: run ./crystallm setup to build libcrystallm.so against this machine's PyTorch/libtorch",
      );}
  }

  const gpu = gpuDriver();
  console.log(`GPU: ${gpu ?? "no nvidia-smi (CPU only)"}`);
  console.log(`manifest-sha256.txt SHA-256: ${bag.manifestSha256}`);
  if (fails.length) {
    console.log(`verify: FAILED: ${fails.join("; ")}`);
    return 1;
  }
  console.log("verify: OK");
  return 0;
}

/** Load a library in a child process and return its runtime info, or the error. */
function probe(lib: string): { ok: true; info: Record<string, unknown> } | { ok: false; error: string } {
  const args = ["run", "-A", "--cached-only", "--no-config", new URL(import.meta.url).pathname, "probe", lib];
  const r = sh(Deno.execPath(), args, { CRYSTALLM_LIB: lib });
  if (r.ok) {
    try {
      return { ok: true, info: JSON.parse(r.out.trim().split("\n").pop()!) };
    } catch { /* fall through */ }
  }
  return { ok: false, error: (r.err || r.out).trim().split("\n").pop() || `exit ${r.code}` };
}

function describe(info: Record<string, unknown>): string {
  return `libtorch ${info.torch_version}, CUDA ${
    info.cuda_available ? `yes (${info.cuda_device_count} device(s))` : "no"
  }, ` +
    `C++11 ABI ${info.cxx11_abi}, CPU kernels ${info.cpu_kernels}`;
}

/**
 * `setup`: choose the native library, building it when the prebuilt one does not load.
 *
 * @param dir Bundle folder.
 * @param rebuild Build even when the prebuilt library loads.
 * @returns Exit code.
 */
export async function setup(dir: string, rebuild = false): Promise<number> {
  const state = stateDir(dir);
  Deno.mkdirSync(state, { recursive: true });
  const info = readBundleInfo(dir);
  if (info.onnx) return setupOnnx(dir, info);
  const prebuilt = join(dir, "data/lib/libcrystallm.so");
  if (!rebuild) {
    const p = probe(prebuilt);
    if (p.ok) {
      Deno.writeTextFileSync(join(state, "lib.path"), prebuilt + "\n");
      console.log(`setup: using the prebuilt ${prebuilt} (${describe(p.info)})`);
      return 0;
    }
    console.log(`setup: the prebuilt library does not load here (${p.error}); building one`);
  }
  // what a build needs, all reported at once
  const missing: string[] = [];
  if (!sh("cmake", ["--version"]).ok) {
    missing.push("CMake ≥ 3.18 (cmake on PATH; `pip install cmake` works without root)");
  }
  const cxx = Deno.env.get("CXX") ?? "c++";
  if (!sh(cxx, ["--version"]).ok && !sh("g++", ["--version"]).ok) {
    missing.push("a C++17 compiler (g++ or clang++ on PATH, or CXX; conda: `conda install gxx_linux-64`)");
  }
  if (!sh("ninja", ["--version"]).ok && !sh("make", ["--version"]).ok) missing.push("ninja or make");
  const { buildFfi, findLibtorch } = await import("../ffi/build.ts");
  let torch: ReturnType<typeof findLibtorch>;
  try {
    torch = findLibtorch();
  } catch (e) {
    missing.push((e as Error).message);
  }
  if (!torch! && !missing.some((m) => m.startsWith("Cannot use"))) {
    missing.push(
      "libtorch (a python3 with `import torch` working, e.g. an activated conda/venv env; or LIBTORCH=<unpacked libtorch>; or Torch_DIR=<folder of TorchConfig.cmake>)",
    );
  }
  if (missing.length) {
    console.error(
      `setup: cannot build libcrystallm.so here; missing:\n${missing.map((m) => `  - ${m}`).join("\n")}`,
    );
    return 1;
  }
  let lib: string;
  try {
    lib = await buildFfi({
      verbose: Deno.env.get("CRYSTALLM_VERBOSE") === "1",
      jobs: Number(Deno.env.get("CRYSTALLM_BUILD_JOBS") ?? navigator.hardwareConcurrency),
    });
  } catch (e) {
    console.error(`setup: ${(e as Error).message}`);
    return 1;
  }
  const p = probe(lib);
  if (!p.ok) {
    console.error(`setup: built ${lib}, but it does not load: ${p.error}`);
    return 1;
  }
  Deno.writeTextFileSync(join(state, "lib.path"), lib + "\n");
  console.log(`setup: built ${lib} against libtorch from ${torch!.source} (${describe(p.info)})`);
  return 0;
}

/** `setup` of an ONNX bundle: nothing to build; load onnxruntime-node and run each model once. */
function setupOnnx(dir: string, info: BundleInfo): number {
  console.log(
    `setup: nothing to build: this bundle samples with the ONNX engine (${info.onnx!.runtime}), no libtorch`,
  );
  let bad = 0;
  for (const m of info.onnx!.models) {
    const model = join(dir, "data/app", m.file);
    const args = [
      "run",
      "-A",
      "--cached-only",
      "--frozen",
      "--config",
      join(dir, "data/app/deno.json"),
      new URL(import.meta.url).pathname,
      "probe-onnx",
      model,
    ];
    const r = sh(Deno.execPath(), args);
    const last = r.out.trim().split("\n").pop() ?? "";
    if (r.ok && last.startsWith("{")) {
      const p = JSON.parse(last);
      console.log(
        `setup: onnxruntime-node ${p.version} runs ${m.file} here (one step: ${p.vocab} logits, all finite)`,
      );
    } else {
      bad++;
      console.error(
        `setup: onnxruntime-node cannot run ${m.file} here: ${
          (r.err || r.out).trim().split("\n").pop() || `exit ${r.code}`
        }`,
      );
    }
  }
  return bad ? 1 : 0;
}

if (import.meta.main) {
  const [cmd, dir, ...rest] = Deno.args;
  if (cmd === "probe-onnx") {
    try {
      const { OnnxDecoder, ortVersion } = await import("../onnx/session.ts");
      const d = await OnnxDecoder.open(dir);
      const { logits } = await d.step([1], 1, 1, d.emptyCache(1));
      if (!logits.every(Number.isFinite)) throw new Error("non-finite logits");
      console.log(JSON.stringify({ version: await ortVersion(), vocab: logits.length }));
      await d.release();
      Deno.exit(0);
    } catch (e) {
      console.error((e as Error).message.split("\n")[0]);
      Deno.exit(1);
    }
  }
  if (cmd === "probe") {
    try {
      const { loadLibrary } = await import("../ffi/mod.ts");
      console.log(JSON.stringify(loadLibrary({ path: dir, numThreads: 1 })));
      Deno.exit(0);
    } catch (e) {
      console.error((e as Error).message.split("\n")[0]);
      Deno.exit(1);
    }
  }
  if (!dir || !["verify", "setup"].includes(cmd)) {
    console.error("usage: target.ts verify|setup <bundle folder> [--rebuild]");
    Deno.exit(2);
  }
  try {
    Deno.exit(cmd === "verify" ? await verify(dir) : await setup(dir, rest.includes("--rebuild")));
  } catch (e) {
    console.error(`crystallm ${cmd}: ${(e as Error).message}`);
    Deno.exit(2);
  }
}
