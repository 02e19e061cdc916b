import assert from "node:assert/strict";
import { checkDevice, checkDtype, DeviceError, parseDevice } from "./device.ts";
import type { RuntimeInfo } from "./mod.ts";
import { NO_LIBTORCH, RUNTIME } from "./_test_utils.ts";

const CPU_BUILD: RuntimeInfo = {
  torch_version: "1.13.0",
  cuda_available: false,
  cuda_device_count: 0,
  cuda_version: "",
  num_threads: 2,
  cxx11_abi: 1,
  sdpa: "at::_scaled_dot_product_attention",
  cpu_kernels: "avx2",
  library: "/x/libcrystallm.so",
};

Deno.test("parseDevice() takes cpu, cuda and cuda:N and names what it refuses", () => {
  assert.deepEqual(parseDevice("cpu"), { kind: "cpu", index: 0 });
  assert.deepEqual(parseDevice("cuda"), { kind: "cuda", index: 0 });
  assert.deepEqual(parseDevice("cuda:3"), { kind: "cuda", index: 3 });
  for (const bad of ["gpu", "cuda:", "cuda:x", "cpu:0", "CUDA", ""]) {
    assert.throws(
      () => parseDevice(bad),
      (e: Error) => e instanceof DeviceError && e.message.includes(`'${bad}'`),
    );
  }
});

Deno.test("checkDevice() explains a CUDA request a CPU-only libtorch cannot meet", () => {
  checkDevice("cpu", CPU_BUILD);
  assert.throws(() => checkDevice("cuda", CPU_BUILD), (e: Error) => {
    assert.ok(e instanceof DeviceError);
    assert.match(
      e.message,
      /^Cannot use --device cuda: .* CPU-only libtorch 1\.13\.0; rebuild .*or use --device cpu$/,
    );
    assert.ok(!e.message.includes("\n"));
    return true;
  });
  const gpu = { ...CPU_BUILD, cuda_available: true, cuda_device_count: 2, cuda_version: "13.0" };
  checkDevice("cuda:1", gpu);
  assert.throws(() => checkDevice("cuda:2", gpu), /sees 2 GPU\(s\) \(cuda:0 \.\. cuda:1\)/);
});

Deno.test("the loaded library refuses --device cuda in one line where it has no GPU", {
  ignore: NO_LIBTORCH || RUNTIME?.cuda_available,
}, () => {
  assert.throws(
    () => checkDevice("cuda", RUNTIME!),
    (e: Error) => e instanceof DeviceError && !e.message.includes("\n"),
  );
});

Deno.test("checkDtype() refuses CUDA autocast unless CRYSTALLM_CUDA_AUTOCAST=1", () => {
  checkDtype("cpu", "bfloat16");
  checkDtype("cuda", "float32");
  checkDtype("cuda", undefined);
  const before = Deno.env.get("CRYSTALLM_CUDA_AUTOCAST");
  try {
    Deno.env.delete("CRYSTALLM_CUDA_AUTOCAST");
    assert.throws(
      () => checkDtype("cuda:0", "bfloat16"),
      /dtype bfloat16 on cuda:0 .*CRYSTALLM_CUDA_AUTOCAST=1/,
    );
    Deno.env.set("CRYSTALLM_CUDA_AUTOCAST", "1");
    checkDtype("cuda:0", "bfloat16");
  } finally {
    if (before === undefined) Deno.env.delete("CRYSTALLM_CUDA_AUTOCAST");
    else Deno.env.set("CRYSTALLM_CUDA_AUTOCAST", before);
  }
});
