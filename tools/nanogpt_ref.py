"""Plain PyTorch reference of upstream CrystaLLM's GPT (crystallm/model.py at 8e81a86,
itself nanoGPT's model.py), for parity tests and benchmarks of crystallm-harness.

Same module names as upstream, including the `attn.bias` causal-mask buffer of torch 1.x
("slow attention" path), so `load_state_dict` of upstream checkpoints is strict.

Usage:
  python3 tools/nanogpt_ref.py logits CKPT < ids.json > logits.f32   # ids.json: [[...], ...]
  python3 tools/nanogpt_ref.py bench-train --n_layer 4 --n_head 4 --n_embd 256 --block_size 256 --batch_size 8 --iters 10
  python3 tools/nanogpt_ref.py bench-sample CKPT --num_samples 2 --max_new_tokens 100
  # GPU reference of bench/gpu_check.ts: nanoGPT's CUDA settings (bf16 autocast, TF32,
  # flash attention through F.scaled_dot_product_attention, fused AdamW, torch.compile)
  python3 tools/nanogpt_ref.py bench-train --device cuda --dtype bfloat16 --flash --fused [--compile] ...
  python3 tools/nanogpt_ref.py bench-sample CKPT --device cuda --dtype bfloat16 < prompt.json
"""
import contextlib
import inspect
import argparse
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
from torch.nn import functional as F

# nanoGPT's flash path (torch >= 2.0): F.scaled_dot_product_attention(is_causal=True)
FLASH = False


class LayerNorm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c["n_embd"], 3 * c["n_embd"], bias=c["bias"])
        self.c_proj = nn.Linear(c["n_embd"], c["n_embd"], bias=c["bias"])
        self.attn_dropout = nn.Dropout(c["dropout"])
        self.resid_dropout = nn.Dropout(c["dropout"])
        self.n_head, self.n_embd = c["n_head"], c["n_embd"]
        bs = c["block_size"]
        self.register_buffer("bias", torch.tril(torch.ones(bs, bs)).view(1, 1, bs, bs))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        if FLASH:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0, is_causal=True)
            return self.resid_dropout(self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C)))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = self.attn_dropout(F.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c["n_embd"], 4 * c["n_embd"], bias=c["bias"])
        self.c_proj = nn.Linear(4 * c["n_embd"], c["n_embd"], bias=c["bias"])
        self.dropout = nn.Dropout(c["dropout"])

    def forward(self, x):
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = LayerNorm(c["n_embd"], c["bias"])
        self.attn = CausalSelfAttention(c)
        self.ln_2 = LayerNorm(c["n_embd"], c["bias"])
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocab_size"], c["n_embd"]),
            wpe=nn.Embedding(c["block_size"], c["n_embd"]),
            drop=nn.Dropout(c["dropout"]),
            h=nn.ModuleList([Block(c) for _ in range(c["n_layer"])]),
            ln_f=LayerNorm(c["n_embd"], c["bias"]),
        ))
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * c["n_layer"]))

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, betas, fused=False):
        # upstream 8e81a86: decay Linear weights, not biases / LayerNorm / Embedding
        decay, no_decay = set(), set()
        for mn, m in self.named_modules():
            for pn, p in m.named_parameters():
                fpn = "%s.%s" % (mn, pn) if mn else pn
                if pn.endswith("bias"):
                    no_decay.add(fpn)
                elif pn.endswith("weight") and isinstance(m, nn.Linear):
                    decay.add(fpn)
                elif pn.endswith("weight") and isinstance(m, (LayerNorm, nn.Embedding)):
                    no_decay.add(fpn)
        decay.remove("lm_head.weight")
        pd = {pn: p for pn, p in self.named_parameters()}
        groups = [
            {"params": [pd[pn] for pn in sorted(list(decay))], "weight_decay": weight_decay},
            {"params": [pd[pn] for pn in sorted(list(no_decay))], "weight_decay": 0.0},
        ]
        # fused=True exists from torch 2.0 (CUDA tensors only)
        extra = {"fused": True} if fused and "fused" in inspect.signature(torch.optim.AdamW).parameters else {}
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, **extra)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, stop_id=None):
        # upstream's loop: no KV cache, one sample at a time, stop at two newlines
        prev_id = None
        for _ in range(max_new_tokens):
            bs = self.config["block_size"]
            idx_cond = idx if idx.size(1) <= bs else idx[:, -bs:]
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("Inf")
            idx_next = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
            # a sequence of two newlines indicates the end of a CIF file
            if stop_id is not None and prev_id == stop_id and idx_next.item() == stop_id:
                break
            prev_id = idx_next.item()
        return idx


def load(path):
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:  # torch < 1.13 has no weights_only
        ckpt = torch.load(path, map_location="cpu")
    model = GPT(ckpt["model_args"])
    sd = {k[len("_orig_mod."):] if k.startswith("_orig_mod.") else k: v for k, v in ckpt["model"].items()}
    model.load_state_dict(sd)  # strict, as upstream
    model.eval()
    return model, ckpt


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["logits", "bench-train", "bench-sample"])
    p.add_argument("ckpt", nargs="?")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    p.add_argument("--flash", action="store_true", help="attention through F.scaled_dot_product_attention")
    p.add_argument("--fused", action="store_true", help="torch.optim.AdamW(fused=True)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    for k, v in dict(n_layer=4, n_head=4, n_embd=256, block_size=256, batch_size=8, iters=10, vocab_size=371,
                     num_samples=2, max_new_tokens=100, top_k=10, seed=1337).items():
        p.add_argument("--" + k, type=int, default=v)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    global FLASH
    FLASH = a.flash and hasattr(F, "scaled_dot_product_attention")  # torch >= 2.0
    cuda = a.device.startswith("cuda")
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True  # as upstream's train.py / sample.py
        torch.backends.cudnn.allow_tf32 = True
    ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[a.dtype]
    ctx = contextlib.nullcontext() if a.dtype == "float32" else torch.autocast(
        device_type="cuda" if cuda else "cpu", dtype=ptdtype)

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def gpu_mem():
        if not cuda:
            return {}
        return {"peak_allocated_mib": torch.cuda.max_memory_allocated() / 2**20,
                "peak_reserved_mib": torch.cuda.max_memory_reserved() / 2**20}
    if a.mode == "logits":
        model, _ = load(a.ckpt)
        ids = torch.tensor(json.load(sys.stdin), dtype=torch.long)
        with torch.no_grad():
            logits, _ = model(ids)
        sys.stdout.buffer.write(logits.float().numpy().tobytes())
    elif a.mode == "bench-train":
        c = dict(n_layer=a.n_layer, n_head=a.n_head, n_embd=a.n_embd, block_size=a.block_size,
                 vocab_size=a.vocab_size, bias=True, dropout=0.0)
        model = GPT(c).to(a.device)
        model.train()
        opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.95), fused=a.fused)
        fwd = torch.compile(model) if a.compile else model
        scaler = torch.cuda.amp.GradScaler(enabled=(a.dtype == "float16")) if cuda else None
        data = torch.randint(0, a.vocab_size, (a.batch_size * (a.block_size + 1) * 4,))

        def step():
            ix = torch.randint(len(data) - a.block_size - 1, (a.batch_size,))
            x = torch.stack([data[i:i + a.block_size] for i in ix])
            y = torch.stack([data[i + 1:i + 1 + a.block_size] for i in ix])
            if cuda:  # nanoGPT's get_batch: pinned memory, asynchronous copy
                x = x.pin_memory().to(a.device, non_blocking=True)
                y = y.pin_memory().to(a.device, non_blocking=True)
            with ctx:
                _, loss = fwd(x, y)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
            opt.zero_grad(set_to_none=True)
            return loss

        t_warm = time.time()
        for _ in range(3 if a.compile else 2):  # warm-up (and compilation)
            step()
        sync()
        warm = time.time() - t_warm
        t0 = time.time()
        for _ in range(a.iters):
            loss = step()
        loss = loss.item()  # nothing is read back before this (no per-step sync)
        dt = time.time() - t0
        print(json.dumps({"tokens_per_s": a.iters * a.batch_size * a.block_size / dt, "seconds": dt,
                          "warmup_seconds": warm, "last_loss": loss, "torch": torch.__version__,
                          "compile": a.compile, "flash": FLASH, "fused": bool(opt.defaults.get("fused")), "dtype": a.dtype,
                          "batch_size": a.batch_size, **gpu_mem(),
                          "peak_rss_mb": peak_rss_mb(), "threads": torch.get_num_threads()}))
    else:
        model, _ = load(a.ckpt)
        model.to(a.device)
        prompt = torch.tensor([json.loads(sys.stdin.read())], dtype=torch.long, device=a.device)
        with ctx:
            model.generate(prompt, 5, top_k=a.top_k or None)  # warm-up
        sync()
        total = 0
        t0 = time.time()
        for _ in range(a.num_samples):
            with ctx:
                out = model.generate(prompt, a.max_new_tokens, top_k=a.top_k or None)
            total += out.size(1) - prompt.size(1)
        sync()
        dt = time.time() - t0
        print(json.dumps({"tokens_per_s": total / dt, "tokens": total, "seconds": dt, "torch": torch.__version__,
                          "dtype": a.dtype, **gpu_mem(),
                          "peak_rss_mb": peak_rss_mb(), "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
