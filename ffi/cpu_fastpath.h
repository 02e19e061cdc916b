/*
 * cpu_fastpath.h: the tensor operations of the GPT that have a CPU fast path, behind one
 * dispatch point each (namespace cllm::ops). Each picks, per call, the fused CPU kernels
 * of kernels.cpp (as autograd nodes) or plain loops where they apply (CPU, float32, outside
 * autocast, AVX2+FMA present, not turned off with CRYSTALLM_CPU_KERNELS=off), and
 * libtorch's operator everywhere else (CUDA, bfloat16 / float16, other CPUs), as
 * upstream's model.py calls it.
 */
#ifndef CLLM_CPU_FASTPATH_H
#define CLLM_CPU_FASTPATH_H

#include <torch/torch.h>

#include "kernels.h"

namespace cllm {

/** KV cache of one layer: (B, nh, T_max, hs) each, filled up to len. */
struct KVCache {
  torch::Tensor k, v;
  int64_t len = 0;
};

namespace ops {

/** F.linear(x, w, b); b may be undefined (no bias). */
torch::Tensor linear(const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b);

/** nn.GELU() of upstream: the exact erf form, not the tanh approximation. */
torch::Tensor gelu(const torch::Tensor &x);

/**
 * Causal self-attention of the c_attn output qkv (B, T, 3C) -> (B, T, C), heads side by
 * side: split into q, k, v (B, nh, T, hs), softmax(q k^T / sqrt(hs)) v with dropout_p on
 * the attention weights, heads re-assembled. With a cache, k and v are appended to it
 * first and the queries attend to everything cached (a prefill, then one token at a time).
 */
torch::Tensor causal_attention(const torch::Tensor &qkv, int64_t n_head, double dropout_p, KVCache *cache);

/** Whether a tensor takes the CPU kernels' path: float32 on CPU, outside autocast, kernels on. */
bool cpu_kernel_path(const torch::Tensor &t);

/**
 * One AdamW update of p (CPU float32, contiguous state) through the fused kernel, `a` as in
 * kernels.h; only on the CPU kernels' path (CLLM_ERR_INTERNAL in a build without them).
 */
void adamw_fused(torch::Tensor &p, const torch::Tensor &grad, torch::Tensor &exp_avg, torch::Tensor &exp_avg_sq,
                 const cllm_avx2::adamw_step &a);

/** The CPU kernels of this build and CPU: "avx2", "off" (CRYSTALLM_CPU_KERNELS=off) or "unavailable". */
const char *cpu_kernels();

/** Once, where the CPU kernels are used: OpenBLAS to one thread (see cpu_fastpath.cpp). */
void configure_blas();

}  // namespace ops
}  // namespace cllm

#endif  // CLLM_CPU_FASTPATH_H
