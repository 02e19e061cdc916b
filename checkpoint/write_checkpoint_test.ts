import assert from "node:assert/strict";
import { parseCheckpoint, readCheckpoint, serializeCheckpoint, writeCheckpoint } from "./mod.ts";
import { hasPython, runPython } from "../pickle/_test_utils.ts";

const ORACLE = new URL("../../shared/oracle/model/", import.meta.url).pathname;
const HAS_TORCH = hasPython(["torch"]);

Deno.test("serializeCheckpoint() round trips through parseCheckpoint()", async () => {
  const ckpt = await readCheckpoint(`${ORACLE}ckpt_tiny_train_py.pt`);
  const back = parseCheckpoint(serializeCheckpoint(ckpt));
  assert.deepEqual(back.model_args, ckpt.model_args);
  assert.deepEqual([...back.model.keys()], [...ckpt.model.keys()]);
  for (const [k, t] of ckpt.model) assert.deepEqual(back.model.get(k)!.data, t.data, k);
  assert.equal(back.iter_num, ckpt.iter_num);
  assert.ok(Math.abs(back.best_val_loss - ckpt.best_val_loss) < 1e-6);
  assert.deepEqual(back.config, ckpt.config);
  assert.equal(back.optimizer!.state.size, ckpt.optimizer!.state.size);
  for (const [k, s] of ckpt.optimizer!.state) {
    assert.equal(back.optimizer!.state.get(k)!.step, s.step);
    assert.deepEqual(back.optimizer!.state.get(k)!.exp_avg_sq.data, s.exp_avg_sq.data);
  }
});

Deno.test("writeCheckpoint() output is torch.load-ed into upstream's layout, resumable by AdamW", {
  ignore: !HAS_TORCH,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ckpt = await readCheckpoint(`${ORACLE}ckpt_tiny_train_py.pt`);
    const path = `${dir}/ckpt.pt`;
    const { sha256 } = await writeCheckpoint(path, ckpt);
    assert.match(sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["ckpt.pt"]); // no temp file left
    const out = await runPython(
      `import sys, collections, torch
sys.path.insert(0, sys.argv[3])
from nanogpt_ref import GPT
ours = torch.load(sys.argv[1], map_location='cpu')
ref = torch.load(sys.argv[2], map_location='cpu')
assert list(ours.keys()) == list(ref.keys()), ours.keys()
assert type(ours['model']) is collections.OrderedDict
assert list(ours['model'].keys()) == list(ref['model'].keys()), list(ours['model'].keys())
for k, v in ref['model'].items():
    assert torch.equal(ours['model'][k], v), k
assert ours['model']['lm_head.weight'].data_ptr() == ours['model']['transformer.wte.weight'].data_ptr()
assert ours['model_args'] == ref['model_args'], ours['model_args']
assert type(ours['model_args']['dropout']) is float
assert ours['iter_num'] == ref['iter_num'] and torch.is_tensor(ours['best_val_loss'])
assert ours['config'] == ref['config']
og, rg = ours['optimizer']['param_groups'], ref['optimizer']['param_groups']
assert og == rg, (og, rg)
for i, s in ref['optimizer']['state'].items():
    for k in ('step', 'exp_avg', 'exp_avg_sq'):
        assert torch.equal(ours['optimizer']['state'][i][k], s[k]), (i, k)
# resume exactly as upstream train.py does
model = GPT(ours['model_args'])
model.load_state_dict(ours['model'])
opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.95))
opt.load_state_dict(ours['optimizer'])
x = torch.zeros(1, 8, dtype=torch.long)
_, loss = model(x, x)
loss.backward()
opt.step()
print('ok')`,
      undefined,
      [path, `${ORACLE}ckpt_tiny_train_py.pt`, new URL("../tools/", import.meta.url).pathname],
    );
    assert.equal(new TextDecoder().decode(out).trim(), "ok");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
