/*
 * gpt.cpp: full definition of CrystaLLM's GPT language model on libtorch, in forward order
 * as upstream's model.py.
 *
 * The model is upstream CrystaLLM's crystallm/model.py at commit 8e81a86, itself
 * nanoGPT's model.py (Karpathy), which follows OpenAI's GPT-2 and HuggingFace's
 * implementation. Module names equal the checkpoint keys (`transformer.h.{i}.attn.c_attn`)
 * so loading a state dict is a key-by-key copy done by ffi/mod.ts.
 *
 * Linear layers, GELU and attention go through cllm::ops (cpu_fastpath.h), which picks the
 * fused CPU kernels or libtorch's operator. No file format lives here: checkpoints are read
 * and written in TypeScript (checkpoint/), and this library only receives and returns
 * named float buffers.
 *
 * Glossary: B = batch size, T = sequence length, C = n_embd, V = vocab_size,
 * nh = n_head, hs = C / nh.
 */
#include "gpt.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "runtime.h"
#include "sampling.h"

namespace cllm {

namespace {

torch::Tensor linear_(const torch::nn::Linear &l, const torch::Tensor &x) { return ops::linear(x, l->weight, l->bias); }

// LayerNorm but with an optional bias. PyTorch doesn't support simply bias=False
struct LayerNormImpl : torch::nn::Module {
  torch::Tensor weight, bias;
  LayerNormImpl(int64_t ndim, bool has_bias) {
    weight = register_parameter("weight", torch::ones({ndim}));
    if (has_bias) bias = register_parameter("bias", torch::zeros({ndim}));
  }
  torch::Tensor forward(const torch::Tensor &x) { return torch::layer_norm(x, {weight.size(0)}, weight, bias, 1e-5); }
};
TORCH_MODULE(LayerNorm);

struct CausalSelfAttentionImpl : torch::nn::Module {
  torch::nn::Linear c_attn{nullptr}, c_proj{nullptr};
  torch::nn::Dropout resid_dropout{nullptr};
  int64_t n_head, n_embd;
  double dropout;
  CausalSelfAttentionImpl(const GPTConfig &cfg) : n_head(cfg.n_head), n_embd(cfg.n_embd), dropout(cfg.dropout) {
    // key, query, value projections for all heads, but in a batch
    c_attn = register_module("c_attn", torch::nn::Linear(torch::nn::LinearOptions(n_embd, 3 * n_embd).bias(cfg.bias)));
    // output projection
    c_proj = register_module("c_proj", torch::nn::Linear(torch::nn::LinearOptions(n_embd, n_embd).bias(cfg.bias)));
    // regularization
    resid_dropout = register_module("resid_dropout", torch::nn::Dropout(dropout));
    // upstream's `attn.bias` causal-mask buffer is not registered: SDPA's is_causal does
    // its job, and checkpoint/ drops or regenerates it (torch 1.x files have it, 2.x not)
  }
  torch::Tensor forward(const torch::Tensor &x, KVCache *cache) {
    // calculate query, key, values for all heads in batch (B, T, 3C); causal self-attention
    // of q, k, v (B, nh, T, hs) with the heads re-assembled side by side (B, T, C); with a
    // KV cache, attending to the cached keys as well
    auto qkv = linear_(c_attn, x);
    auto y = ops::causal_attention(qkv, n_head, is_training() ? dropout : 0.0, cache);
    // output projection
    return resid_dropout(linear_(c_proj, y));
  }
};
TORCH_MODULE(CausalSelfAttention);

struct MLPImpl : torch::nn::Module {
  torch::nn::Linear c_fc{nullptr}, c_proj{nullptr};
  torch::nn::Dropout dropout{nullptr};
  MLPImpl(const GPTConfig &cfg) {
    c_fc = register_module("c_fc", torch::nn::Linear(torch::nn::LinearOptions(cfg.n_embd, 4 * cfg.n_embd).bias(cfg.bias)));
    c_proj = register_module("c_proj", torch::nn::Linear(torch::nn::LinearOptions(4 * cfg.n_embd, cfg.n_embd).bias(cfg.bias)));
    dropout = register_module("dropout", torch::nn::Dropout(cfg.dropout));
  }
  torch::Tensor forward(const torch::Tensor &x) { return dropout(linear_(c_proj, ops::gelu(linear_(c_fc, x)))); }
};
TORCH_MODULE(MLP);

struct BlockImpl : torch::nn::Module {
  LayerNorm ln_1{nullptr}, ln_2{nullptr};
  CausalSelfAttention attn{nullptr};
  MLP mlp{nullptr};
  BlockImpl(const GPTConfig &cfg) {
    ln_1 = register_module("ln_1", LayerNorm(cfg.n_embd, cfg.bias));
    attn = register_module("attn", CausalSelfAttention(cfg));
    ln_2 = register_module("ln_2", LayerNorm(cfg.n_embd, cfg.bias));
    mlp = register_module("mlp", MLP(cfg));
  }
  torch::Tensor forward(torch::Tensor x, KVCache *cache) {
    x = x + attn(ln_1(x), cache);
    return x + mlp(ln_2(x));
  }
};
TORCH_MODULE(Block);

struct TransformerImpl : torch::nn::Module {
  torch::nn::Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::ModuleList h{nullptr};
  LayerNorm ln_f{nullptr};
  std::vector<Block> blocks;
  TransformerImpl(const GPTConfig &cfg) {
    wte = register_module("wte", torch::nn::Embedding(cfg.vocab_size, cfg.n_embd));
    wpe = register_module("wpe", torch::nn::Embedding(cfg.block_size, cfg.n_embd));
    drop = register_module("drop", torch::nn::Dropout(cfg.dropout));
    h = register_module("h", torch::nn::ModuleList());
    for (int64_t i = 0; i < cfg.n_layer; i++) {
      blocks.push_back(Block(cfg));
      h->push_back(blocks.back());
    }
    ln_f = register_module("ln_f", LayerNorm(cfg.n_embd, cfg.bias));
  }
};

}  // namespace

GPTImpl::GPTImpl(const GPTConfig &c) : cfg(c) {
  transformer = register_module("transformer", std::make_shared<TransformerImpl>(cfg));
  // lm_head shares transformer.wte.weight ("weight tying", upstream model.py); it is
  // applied as F.linear in forward() so it is one parameter here, as in named_parameters()
}

torch::Tensor GPTImpl::forward(const torch::Tensor &idx, int64_t pos0, std::vector<KVCache> *caches) {
  const int64_t T = idx.size(1);
  CLLM_CHECK(pos0 + T <= cfg.block_size, CLLM_ERR_ARGUMENT,
             "Cannot forward sequence of length " << pos0 + T << ", block size is only " << cfg.block_size);
  auto pos = torch::arange(pos0, pos0 + T, torch::TensorOptions().dtype(torch::kLong).device(idx.device()));
  auto &tr = static_cast<TransformerImpl &>(*transformer);
  // forward the GPT model itself
  auto tok_emb = tr.wte(idx);  // token embeddings of shape (B, T, C)
  auto pos_emb = tr.wpe(pos);  // position embeddings of shape (T, C)
  auto x = tr.drop(tok_emb + pos_emb);
  for (size_t i = 0; i < tr.blocks.size(); i++) {
    x = tr.blocks[i](x, caches ? &(*caches)[i] : nullptr);
  }
  x = tr.ln_f(x);
  return ops::linear(x, tr.wte->weight, torch::Tensor());  // lm_head: (B, T, V)
}

// nanoGPT _init_weights: N(0, 0.02) for Linear and Embedding weights, zero biases, and
// "apply special scaled init to the residual projections, per GPT-2 paper"
void GPTImpl::init_weights() {
  torch::NoGradGuard ng;
  const double proj_std = 0.02 / std::sqrt(2.0 * cfg.n_layer);
  for (auto &kv : named_parameters()) {
    const std::string &name = kv.key();
    auto &p = kv.value();
    bool is_ln = name.find(".ln_") != std::string::npos;
    auto ends = [&](const std::string &suffix) {
      return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (is_ln) {
      if (ends(".weight")) p.fill_(1.0);
      else p.zero_();
    } else if (ends(".bias")) {
      p.zero_();
    } else if (ends("c_proj.weight")) {
      p.normal_(0.0, proj_std);
    } else {
      p.normal_(0.0, 0.02);
    }
  }
}

torch::Tensor loss_of(const torch::Tensor &logits, const torch::Tensor &targets) {
  namespace F = torch::nn::functional;
  return F::cross_entropy(logits.view({-1, logits.size(-1)}).to(torch::kFloat), targets.view({-1}),
                          F::CrossEntropyFuncOptions().ignore_index(-1));
}

// Take a conditioning sequence of indices (the prompt) and complete it n times, feeding
// the predictions back into the model each time; as upstream's generate(), but batched,
// with a KV cache, and with each sample's own random stream.
void GPTImpl::generate(const int32_t *prompt, int64_t P, int64_t n, int64_t first_index, const GenerateOptions &o,
                       const torch::Device &device, at::ScalarType amp_dtype, int32_t *out, int32_t *lengths) {
  const int64_t max_new = o.max_new_tokens;
  const int64_t bs = cfg.block_size;
  const int64_t nh = cfg.n_head, hs = cfg.n_embd / nh;

  // host-side sequences, needed when they outgrow the block and the window slides
  std::vector<std::vector<int64_t>> seqs(n, std::vector<int64_t>(prompt, prompt + P));
  std::vector<sampling::SampleRng> rngs;
  for (int64_t i = 0; i < n; i++) rngs.emplace_back(o.seed, static_cast<uint64_t>(first_index + i));
  // rows[r]: the sample in batch row r, -1 once it has finished (CUDA keeps such rows until
  // a quarter of the batch is dead: dropping rows copies the whole KV cache, and a batch
  // of a thousand samples would otherwise copy it at almost every step)
  std::vector<int64_t> prev(n, -1), rows(n);
  for (int64_t i = 0; i < n; i++) rows[i] = i, lengths[i] = 0;
  const bool lazy_drop = device.is_cuda();

  // upstream crops the context to the last block_size tokens
  const int64_t P0 = std::min(P, bs);
  auto opts = torch::TensorOptions().device(device);
  // the cache holds what attention reads: the autocast dtype on CUDA
  if (device.is_cuda() && amp_dtype != at::kFloat) opts = opts.dtype(amp_dtype);
  const int64_t cap = std::min(bs, P0 + max_new);  // cache length ever needed
  std::vector<KVCache> caches(cfg.n_layer);
  for (auto &c : caches) {
    c.k = torch::zeros({n, nh, cap, hs}, opts);  // (n, nh, cap, hs)
    c.v = torch::zeros({n, nh, cap, hs}, opts);
  }
  auto idx = ids_to_device(prompt + (P - P0), 1, P0, device).expand({n, P0}).contiguous();
  auto logits = forward(idx, 0, &caches).select(1, P0 - 1);  // (n, V)
  int64_t ctx = P0;  // tokens in the cache

  for (int64_t t = 0; t < max_new; t++) {
    const int64_t nR = static_cast<int64_t>(rows.size());
    // pluck the logits at the final step, scale by temperature, optionally crop to the top k
    auto dist = sampling::next_token(logits, o.temperature, o.top_k);
    std::vector<int64_t> next_ids(nR, 0);
    int64_t alive = 0;
    for (int64_t r = 0; r < nR; r++) {
      const int64_t s = rows[r];
      if (s < 0) continue;
      const int64_t tok = sampling::draw(dist, r, rngs[s]);
      out[s * max_new + lengths[s]] = static_cast<int32_t>(tok);
      lengths[s]++;
      seqs[s].push_back(tok);
      next_ids[r] = tok;
      // a sequence of two newlines indicates the end of a CIF file: upstream's generate
      // appends the second newline, then stops
      const bool stop = o.stop_id >= 0 && prev[s] == o.stop_id && tok == o.stop_id;
      prev[s] = tok;
      if (!stop && lengths[s] < max_new) alive++;
      else rows[r] = -1;
    }
    if (alive == 0) break;
    if (alive < nR && (!lazy_drop || alive * 4 <= nR * 3)) {
      // drop finished rows from the batch and the cache
      std::vector<int64_t> keep, r2, n2;
      for (int64_t r = 0; r < nR; r++)
        if (rows[r] >= 0) keep.push_back(r), r2.push_back(rows[r]), n2.push_back(next_ids[r]);
      auto sel = torch::tensor(keep, torch::kLong).to(device);
      for (auto &c : caches) {
        c.k = c.k.index_select(0, sel);
        c.v = c.v.index_select(0, sel);
      }
      rows.swap(r2);
      next_ids.swap(n2);
    }
    const int64_t nK = static_cast<int64_t>(rows.size());
    if (ctx < bs) {
      auto step_ids = torch::tensor(next_ids, torch::kLong).view({nK, 1}).to(device);
      logits = forward(step_ids, ctx, &caches).select(1, 0);
      ctx++;
    } else {
      // the window slides: positions shift, so the cache is useless; recompute the last
      // block_size tokens as upstream does at every step (a finished row reads zeros)
      std::vector<int64_t> window;
      for (auto s : rows) {
        if (s >= 0) window.insert(window.end(), seqs[s].end() - bs, seqs[s].end());
        else window.insert(window.end(), bs, 0);
      }
      auto w = torch::tensor(window, torch::kLong).view({nK, bs}).to(device);
      logits = forward(w, 0, nullptr).select(1, bs - 1);
    }
  }
}

// To CUDA through pinned memory and an asynchronous copy, as nanoGPT's
// x.pin_memory().to(device, non_blocking=True): the caching host allocator keeps the
// pinned block until the copy has run, so nothing waits here.
torch::Tensor ids_to_device(const int32_t *ids, int64_t B, int64_t T, const torch::Device &device) {
  auto host = torch::from_blob(const_cast<int32_t *>(ids), {B, T}, torch::kInt32);
  if (!device.is_cuda()) return host.to(torch::kLong).to(device);
  auto pinned = torch::empty({B, T}, torch::TensorOptions().dtype(torch::kInt32).pinned_memory(true));
  pinned.copy_(host);
  return pinned.to(device, torch::kInt32, /*non_blocking=*/true).to(torch::kLong);
}

}  // namespace cllm
