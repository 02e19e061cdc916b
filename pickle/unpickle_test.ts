import assert from "node:assert/strict";
import { isTuple, pickle, PickleError, PyFloat, PyGlobal, PyObject, tuple, unpickle } from "./mod.ts";
import { hasPython, runPython } from "./_test_utils.ts";

const HAS_PY = hasPython(["pickle"]);
const HAS_TORCH = hasPython(["torch", "numpy"]);
const META_PKL = new URL("../../shared/oracle/tokenizer/meta.pkl", import.meta.url);

/** A Python expression for a value covering every basic type. */
const PY_VALUE = `{
  'none': None, 't': True, 'f': False,
  'ints': [0, 1, 255, 256, 65535, 65536, -1, -129, 2**31 - 1, -2**31, 2**31, 2**53, 2**70, -2**70],
  'floats': [0.0, -0.0, 1.5, 1e-300, float('inf'), 6e-05],
  'str': 'Na2Cl2 \\u00e9\\u4e2d\\U0001F600', 'empty': '',
  'bytes': b'\\x00\\xff abc', 'tuples': ((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)),
  'nested': {'a': [1, {'b': (2, 'c')}], 1: 'int key', (1, 2): 'tuple key'},
  'one': {'only': 1},
  'od': __import__('collections').OrderedDict([('x', 1), ('y', 2)]),
  'long_list': list(range(2500)),
}`;

Deno.test("unpickle() reads every basic type Python writes, protocols 0-5", {
  ignore: !HAS_PY,
}, async (t) => {
  for (const proto of [0, 1, 2, 3, 4, 5]) {
    await t.step(`protocol ${proto}`, async () => {
      const bytes = await runPython(
        `import pickle,sys; v=${PY_VALUE}; sys.stdout.buffer.write(pickle.dumps(v, protocol=${proto}))`,
      );
      const v = unpickle(bytes) as Map<unknown, any>;
      assert.equal(v.get("none"), null);
      assert.equal(v.get("t"), true);
      assert.equal(v.get("f"), false);
      assert.deepEqual(v.get("ints").slice(0, 11), [
        0,
        1,
        255,
        256,
        65535,
        65536,
        -1,
        -129,
        2 ** 31 - 1,
        -(2 ** 31),
        2 ** 31,
      ]);
      assert.equal(v.get("ints")[11], 2 ** 53 > Number.MAX_SAFE_INTEGER ? 2n ** 53n : 2 ** 53);
      assert.equal(v.get("ints")[12], 2n ** 70n);
      assert.equal(v.get("ints")[13], -(2n ** 70n));
      assert.deepEqual(v.get("floats"), [0, -0, 1.5, 1e-300, Infinity, 6e-05]);
      assert.equal(v.get("str"), "Na2Cl2 é中😀");
      assert.equal(v.get("empty"), "");
      assert.deepEqual(v.get("bytes"), new Uint8Array([0, 255, 32, 97, 98, 99]));
      const tuples = v.get("tuples");
      assert.ok(isTuple(tuples));
      assert.deepEqual(tuples.map((x: any) => x.length), [0, 1, 2, 3, 4]);
      assert.ok(tuples.every(isTuple));
      const nested = v.get("nested") as Map<unknown, unknown>;
      assert.equal(nested.get(1), "int key");
      assert.deepEqual((nested.get("a") as any)[1].get("b"), tuple(2, "c"));
      assert.deepEqual(v.get("one"), new Map([["only", 1]]));
      assert.deepEqual(v.get("od"), new Map([["x", 1], ["y", 2]]));
      assert.equal(v.get("long_list").length, 2500);
      assert.equal(v.get("long_list")[2499], 2499);
    });
  }
});

Deno.test("pickle() output is read back by Python with the same value", { ignore: !HAS_PY }, async () => {
  const value = new Map<unknown, unknown>([
    ["none", null],
    ["bools", [true, false]],
    ["ints", [0, 255, 256, 65536, -1, 2 ** 31, -(2 ** 31) - 1, 2n ** 70n, -(2n ** 70n)]],
    ["floats", [1.5, new PyFloat(0), -0, 6e-5]],
    ["str", "é中😀"],
    ["bytes", new Uint8Array([0, 255, 1])],
    ["tuples", tuple(tuple(), tuple(1), tuple(1, 2), tuple(1, 2, 3), tuple(1, 2, 3, 4))],
    ["dict", new Map<unknown, unknown>([[1, "a"], [tuple(1, 2), "b"]])],
    ["object", { learning_rate: 0.001, n_layer: 2 }],
    ["od", new PyObject(new PyGlobal("collections", "OrderedDict"), [])],
    ["long_list", Array.from({ length: 2500 }, (_, i) => i)],
  ]);
  (value.get("od") as PyObject).dictItems = new Map([["x", 1]]);
  const shared = [1, 2];
  value.set("shared", [shared, shared]);
  const out = await runPython(
    `import pickle,sys,collections
v = pickle.loads(sys.stdin.buffer.read())
expected = {'none': None, 'bools': [True, False],
  'ints': [0, 255, 256, 65536, -1, 2**31, -2**31-1, 2**70, -2**70],
  'floats': [1.5, 0.0, -0.0, 6e-05], 'str': '\\u00e9\\u4e2d\\U0001F600', 'bytes': b'\\x00\\xff\\x01',
  'tuples': ((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)), 'dict': {1: 'a', (1, 2): 'b'},
  'object': {'learning_rate': 0.001, 'n_layer': 2}, 'od': collections.OrderedDict(x=1),
  'long_list': list(range(2500)), 'shared': [[1, 2], [1, 2]]}
assert v == expected, v
assert type(v['floats'][1]) is float and type(v['ints'][0]) is int
assert type(v['od']) is collections.OrderedDict
assert v['shared'][0] is v['shared'][1]
print('ok')`,
    pickle(value),
  );
  assert.equal(new TextDecoder().decode(out).trim(), "ok");
});

Deno.test("unpickle() calls findClass and persistentLoad hooks for a torch.save pickle", {
  ignore: !HAS_TORCH,
}, async () => {
  const bytes = await runPython(
    `import torch,io,sys,zipfile,collections
sd = collections.OrderedDict(w=torch.arange(6, dtype=torch.float32).reshape(2, 3))
buf = io.BytesIO(); torch.save({'model': sd, 'iter_num': 3}, buf)
z = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
sys.stdout.buffer.write(z.read([n for n in z.namelist() if n.endswith('data.pkl')][0]))`,
  );
  const pids: unknown[] = [];
  const v = unpickle(bytes, {
    findClass: (module, name) => {
      if (module === "torch._utils" && name === "_rebuild_tensor_v2") {
        return (storage: unknown, offset: number, size: number[], stride: number[]) => ({
          storage,
          offset,
          size: [...size],
          stride: [...stride],
        });
      }
      return undefined;
    },
    persistentLoad: (pid) => {
      pids.push(pid);
      return { key: (pid as unknown[])[2] };
    },
  }) as Map<string, any>;
  assert.equal(v.get("iter_num"), 3);
  const w = v.get("model").get("w");
  assert.deepEqual(w, { storage: { key: "0" }, offset: 0, size: [2, 3], stride: [3, 1] });
  assert.equal(pids.length, 1);
  assert.equal((pids[0] as unknown[])[0], "storage");
  assert.ok((pids[0] as unknown[])[1] instanceof PyGlobal);
  assert.equal(String((pids[0] as unknown[])[1]), "torch.FloatStorage");
});

Deno.test("unpickle() reads the oracle's meta.pkl", async () => {
  const meta = unpickle(await Deno.readFile(META_PKL)) as Map<string, any>;
  assert.equal(meta.get("vocab_size"), 371);
  assert.ok(meta.get("stoi") instanceof Map);
  assert.equal(meta.get("stoi").size, 371);
});

Deno.test("unpickle() rejects malformed data with a PickleError", async (t) => {
  await t.step("truncated", () => {
    assert.throws(() => unpickle(new Uint8Array([0x80, 2, 0x58, 9, 0])), PickleError);
  });
  await t.step("unknown opcode", () => {
    assert.throws(() => unpickle(new Uint8Array([0x80, 2, 0xff])), /unknown opcode 0xff/);
  });
  await t.step("persistent id without hook", () => {
    assert.throws(() => unpickle(new Uint8Array([0x80, 2, 0x4b, 1, 0x51, 0x2e])), /persistentLoad/);
  });
  await t.step("stack underflow", () => {
    assert.throws(() => unpickle(new Uint8Array([0x80, 2, 0x2e])), /underflow/);
  });
});

Deno.test("pickle() round trips through unpickle() keeping tuples, floats and unresolved objects", () => {
  const obj = new PyObject(new PyGlobal("numpy.core.multiarray", "scalar"), [new Uint8Array([1, 2])]);
  obj.state = new Map([["k", 1]]);
  const value = [tuple(1, new PyFloat(2)), obj, new Set([1, 2])];
  const back = unpickle(pickle(value), { wrapFloats: true }) as any[];
  assert.ok(isTuple(back[0]));
  assert.ok(back[0][1] instanceof PyFloat);
  assert.ok(back[1] instanceof PyObject);
  assert.equal(String(back[1].callable), "numpy.core.multiarray.scalar");
  assert.deepEqual(back[1].state, new Map([["k", 1]]));
  assert.deepEqual(back[2], new Set([1, 2]));
});
