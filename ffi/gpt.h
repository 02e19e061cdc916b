/*
 * gpt.h: CrystaLLM's GPT language model on libtorch (gpt.cpp), and what running it on a
 * device takes (token ids to the device, autocast for one call).
 */
#ifndef CLLM_GPT_H
#define CLLM_GPT_H

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "compat.h"
#include "cpu_fastpath.h"

namespace cllm {

struct GPTConfig {
  int64_t block_size = 1024;
  int64_t vocab_size = 371;  // CrystaLLM's CIF tokenizer (upstream pads nothing here)
  int64_t n_layer = 12;
  int64_t n_head = 12;
  int64_t n_embd = 768;
  double dropout = 0.0;
  bool bias = true;  // True: bias in Linears and LayerNorms, like GPT-2
};

/** Sampling settings of GPTImpl::generate (upstream's sample.py). */
struct GenerateOptions {
  uint64_t seed = 1337;
  int64_t max_new_tokens = 1000;
  double temperature = 1.0;
  int64_t top_k = 0;     // 0 = off
  int64_t stop_id = -1;  // stop after two of these in a row (a blank line); -1 = off
};

struct GPTImpl : torch::nn::Module {
  GPTConfig cfg;
  // wte, wpe, drop, h, ln_f: a TransformerImpl, whose type stays inside gpt.cpp (so no
  // libtorch template instantiated for a module type of this library is exported)
  std::shared_ptr<torch::nn::Module> transformer;
  explicit GPTImpl(const GPTConfig &c);

  /** idx: (B, T) int64 at positions pos0 .. pos0+T-1 -> logits (B, T, V); caches: one per layer, or null. */
  torch::Tensor forward(const torch::Tensor &idx, int64_t pos0, std::vector<KVCache> *caches);

  /** nanoGPT's _init_weights. */
  void init_weights();

  /**
   * Sample n continuations of prompt (P ids), batched with a KV cache; sample i draws from
   * the stream (o.seed, first_index + i). Writes sample i's new ids to out[i * max_new_tokens ..]
   * and their count to lengths[i]. Call in eval mode under NoGradGuard (and autocast).
   */
  void generate(const int32_t *prompt, int64_t P, int64_t n, int64_t first_index, const GenerateOptions &o,
                const torch::Device &device, at::ScalarType amp_dtype, int32_t *out, int32_t *lengths);
};
TORCH_MODULE(GPT);

/** Cross-entropy of logits (B, T, V) against targets (B, T), -1 ignored: the mean over the rest. */
torch::Tensor loss_of(const torch::Tensor &logits, const torch::Tensor &targets);

/** (B, T) int32 ids of the caller -> int64 on the device. */
torch::Tensor ids_to_device(const int32_t *ids, int64_t B, int64_t T, const torch::Device &device);

/** Autocast for bfloat16 / float16, scoped to one call (autocast state is thread-local). */
struct AutocastGuard {
  bool on = false, cuda = false;
  AutocastGuard(const torch::Device &device, at::ScalarType dtype) {
    if (dtype == at::kFloat) return;
    on = true;
    cuda = device.is_cuda();
    cllm_compat::set_autocast(cuda, true, dtype);
  }
  ~AutocastGuard() {
    if (on) cllm_compat::set_autocast(cuda, false, at::kFloat);
  }
};

}  // namespace cllm

#endif  // CLLM_GPT_H
