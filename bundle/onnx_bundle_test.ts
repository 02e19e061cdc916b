/**
 * End-to-end test of an ONNX bundle (`bundle create --engine onnx`): a nacl10 bundle with the
 * trained models as ONNX and onnxruntime-node, no libtorch and nothing to build, unpacked into
 * a Debian 11 root (glibc 2.31, no libtorch, no compiler) and audited there with no network.
 *
 * Creating the bundle trains nacl10 (libtorch); the Debian part needs root (debootstrap,
 * chroot, network namespaces) and is skipped with a printed reason where it is not permitted.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../core/paths.ts";
import { findLibtorch } from "../ffi/build.ts";
import { listTree } from "./manifest.ts";
import { cannot, debianRoot } from "./_debian_root.ts";

const dec = new TextDecoder();

function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean } = {},
): { code: number; out: string } {
  try {
    const o = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", ...opts }).outputSync();
    return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
  } catch (e) {
    return { code: 127, out: String(e) };
  }
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "tasks/crystallm.ts"), ...args],
    cwd: REPO_ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

function isElf(path: string): boolean {
  const f = Deno.openSync(path);
  try {
    const head = new Uint8Array(4);
    return f.readSync(head) === 4 && head[0] === 0x7f && dec.decode(head.subarray(1)) === "ELF";
  } finally {
    f.close();
  }
}

const noLibtorch = !Deno.env.get("CRYSTALLM_LIB") && !findLibtorch();
if (noLibtorch) {
  console.log("onnx_bundle_test: skipped: no libtorch to train nacl10 for the bundle (see README)");
}

Deno.test("bundle create --engine onnx refuses --with-libtorch", async () => {
  const r = await cli(["bundle", "create", "--out", "/nonexistent/b", "--engine", "onnx", "--with-libtorch"]);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /--with-libtorch and --engine onnx exclude each other/);
  const e = await cli(["bundle", "create", "--out", "/nonexistent/b", "--engine", "tvm"]);
  assert.equal(e.code, 2, e.out);
  assert.match(e.out, /--engine must be libtorch or onnx, got tvm/);
});

Deno.test({
  name:
    "bundle create --engine onnx: a nacl10 bundle with no libtorch and no build step audits OK in Debian 11 with no network",
  ignore: noLibtorch,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const tmp = await Deno.makeTempDir({ prefix: "crystallm-onnx-bundle-test-" });
    try {
      const dir = join(tmp, "nacl10-onnx");
      const archive = `${dir}.tar.xz`;
      // xz -9 on one thread is slow; the README's sizes are measured at -9
      const made = await cli(
        ["bundle", "create", "--out", dir, "--experiment", "nacl10", "--engine", "onnx", "--archive"],
        { CRYSTALLM_XZ_LEVEL: "1" },
      );
      assert.equal(made.code, 0, made.out);

      await t.step(
        "it holds the models as ONNX, onnxruntime-node for this platform only, no libtorch and nothing to build",
        () => {
          const files = listTree(dir);
          // the only native code: Deno and onnxruntime-node's linux-x64 library and binding
          const ort = "data/deno_dir/npm/registry.npmjs.org/onnxruntime-node/1.30.0";
          assert.deepEqual(files.filter((f) => isElf(join(dir, f))).sort(), [
            "data/bin/deno",
            `${ort}/bin/napi-v6/linux/x64/libonnxruntime.so.1`,
            `${ort}/bin/napi-v6/linux/x64/onnxruntime_binding.node`,
          ]);
          assert.deepEqual(files.filter((f) => /(torch|c10|crystallm)[^/]*\.so/.test(f)), []);
          assert.deepEqual(files.filter((f) => f.startsWith("data/lib/")), []);
          // no build step: no C++ sources, no CMake files
          assert.deepEqual(files.filter((f) => /(\.(cpp|cc|h|hpp|cmake)|CMakeLists\.txt)$/.test(f)), []);
          const info = JSON.parse(Deno.readTextFileSync(join(dir, "bundle.json")));
          assert.equal(info.engine, "onnx");
          assert.equal(info.libtorch, null);
          assert.equal(info.onnx.runtime, "onnxruntime-node@1.30.0");
          assert.deepEqual(
            info.onnx.models.map((m: { file: string; profiles: unknown[] }) => [m.file, m.profiles]),
            [["models/nacl10/nacl10.onnx", [null]], ["models/nacl10/nacl10.ci.onnx", ["ci"]]],
          );
          assert.match(Deno.readTextFileSync(join(dir, "bag-info.txt")), /^Crystallm-Engine: onnx$/m);
          // the manifest covers the models (sha256sum format)
          const manifest = Deno.readTextFileSync(join(dir, "manifest-sha256.txt"));
          for (const m of info.onnx.models) {
            assert.match(
              manifest,
              new RegExp(`^${m.sha256}  data/app/${m.file.replaceAll(".", "\\.")}$`, "m"),
            );
          }
          // the bundled experiment samples the exported models and trains nothing
          const yaml = parse(Deno.readTextFileSync(join(dir, "data/app/experiments/nacl10.yaml"))) as Record<
            string,
            Record<string, unknown>
          >;
          assert.deepEqual(yaml.models, {
            nacl10: { checkpoint: "models/nacl10/nacl10.onnx", engine: "onnx" },
          });
          assert.equal(yaml.dataset, undefined);
          assert.deepEqual(yaml.profiles, {
            ci: {
              "sample.n": 8,
              "sample.max_new_tokens": 600,
              "models.nacl10.checkpoint": "models/nacl10/nacl10.ci.onnx",
            },
          });
          // neither the base checkpoint nor the training CIFs travel
          assert.deepEqual(files.filter((f) => f.startsWith("data/app/fixtures/")), []);
          const du = (p: string) => Number(sh("du", ["-sb", p]).out.split("\t")[0]) / 2 ** 20;
          console.log(
            `nacl10 ONNX bundle: ${du(dir).toFixed(1)} MiB unpacked, archive ${
              du(archive).toFixed(1)
            } MiB at xz -1 ` +
              `(onnxruntime-node ${du(join(dir, ort)).toFixed(1)} MiB, Deno ${
                du(join(dir, "data/bin/deno")).toFixed(1)
              } MiB, ` +
              `models ${du(join(dir, "data/app/models")).toFixed(1)} MiB)`,
          );
        },
      );

      await t.step(
        "in a Debian 11 root (glibc 2.31, no libtorch, no compiler, no network): verify, setup and the nacl10 ci audit pass with the ONNX engine",
        () => {
          const root = debianRoot();
          if (typeof root !== "string") return console.log(`skipped: ${root.skip}`);
          const why = cannot(["-n", "-m", "true"]);
          if (why) return console.log(`skipped: ${why}`);
          const opt = join(root, "opt", "onnx-test");
          const cache = join(root, "root/.cache");
          const hadCache = sh("test", ["-e", cache]).code === 0;
          try {
            Deno.mkdirSync(opt, { recursive: true });
            assert.equal(sh("tar", ["-xJf", archive, "-C", opt]).code, 0);
            const script = `mount -t proc proc "$1/proc" && exec chroot "$1" /bin/sh -c '
            set -e
            for tool in cc gcc g++ c++ clang cmake make ninja python3; do
              if command -v $tool >/dev/null; then echo "unexpected $tool"; exit 10; fi
            done
            if find / -xdev \\( -name "libtorch*" -o -name "libc10*" \\) | grep -q .; then echo "unexpected libtorch"; exit 10; fi
            cd /opt/onnx-test/nacl10-onnx
            ./crystallm verify
            ./crystallm setup
            ./crystallm audit nacl10 --profile ci
            ./crystallm verify > /tmp/verify-again.txt 2>&1 || { cat /tmp/verify-again.txt; exit 11; }'`;
            const r = sh("unshare", ["-n", "-m", "sh", "-c", script, "sh", root], {
              clearEnv: true,
              env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root" },
            });
            console.log(
              r.out.split("\n").filter((l) => /^(glibc|ONNX runtime|verify|setup|audit|files)/.test(l)).join(
                "\n",
              ),
            );
            assert.equal(r.code, 0, r.out);
            assert.match(r.out, /files: \d+ intact, 0 missing, 0 changed, 0 extra/);
            assert.match(
              r.out,
              /glibc: 2\.31 here; bundle floor 2\.28 \(Deno needs 2\.27, onnxruntime-node 2\.28\)/,
            );
            assert.match(r.out, /ONNX runtime: \S+onnxruntime_binding\.node resolves all its libraries/);
            assert.match(r.out, /verify: OK/);
            assert.match(r.out, /setup: nothing to build: this bundle samples with the ONNX engine/);
            assert.match(
              r.out,
              /setup: onnxruntime-node 1\.30\.0 runs models\/nacl10\/nacl10\.ci\.onnx here/,
            );
            assert.doesNotMatch(r.out, /cmake|compiler|Ignored build scripts/i);
            // sample → postprocess → evaluate → summarize; nothing trained, nothing exported
            assert.doesNotMatch(r.out, /\[(dataset|train\/|export\/)/);
            for (const s of ["sample", "postprocess", "evaluate"]) {
              assert.match(r.out, new RegExp(`\\[${s}/nacl10/Na2Cl2/t1\\] running`));
            }
            assert.match(r.out, /audit: OK/);
            const raw = join(opt, "nacl10-onnx/var/out/nacl10/sample/nacl10/Na2Cl2/t1/raw/manifest.json");
            const sampled = JSON.parse(Deno.readTextFileSync(raw));
            assert.equal(sampled.params.engine, "onnx");
            // onnxruntime's own cache went to the bundle's state folder, not to $HOME
            if (!hadCache) assert.equal(sh("test", ["-e", cache]).code, 1, `${cache} was written`);
          } finally {
            Deno.removeSync(opt, { recursive: true });
          }
        },
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
