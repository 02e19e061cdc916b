/*
 * kernels.h: the fused CPU kernels of libcrystallm, float32, as plain loops over raw
 * pointers (no libtorch type):
 *
 * - causal self-attention of one (sequence, head) pair, forward and backward;
 * - GELU (the exact erf form of upstream's nn.GELU), forward and backward;
 * - one AdamW update of a parameter tensor, as torch 1.13's _single_tensor_adamw.
 *
 * ffi/kernels.cpp is compiled on its own with AVX2 and FMA (ffi/CMakeLists.txt), on x86-64
 * only; cpu_fastpath.cpp calls it only where the CPU has both, splitting the work over
 * libtorch's intra-op threads with at::parallel_for.
 *
 * Attention layout: q, k, v point at the head's first column in row 0 of the c_attn output
 * (B, T, 3C), rows `ld_qkv` floats apart, so no split/transpose/contiguous copy is made;
 * the output y and the gradient dy are (B, T, C) with rows `ld_y` apart; dq, dk, dv use the
 * layout of q, k, v. P is the (T, T) softmax of this pair, saved by the forward pass for
 * the backward one (zero above the diagonal).
 */
#ifndef CLLM_KERNELS_H
#define CLLM_KERNELS_H

#include <cstddef>
#include <cstdint>

/** Sizes of one call: T rows, hs = head size (a multiple of 16), softmax scale. */
struct cllm_attn_dims {
  int64_t T, hs, ld_qkv, ld_y;
  float scale;
};

namespace cllm_avx2 {
/** Floats of scratch one forward call needs. */
size_t forward_scratch(int64_t T, int64_t hs);
/** Floats of scratch one backward call needs. */
size_t backward_scratch(int64_t T, int64_t hs);
/** y = softmax(causal(q k^T * scale)) v, and P = that softmax. */
void forward(const float *q, const float *k, const float *v, float *y, float *P, const cllm_attn_dims &d,
             float *scratch);
/** dq, dk, dv from dy and the saved P (written, not accumulated). */
void backward(const float *q, const float *k, const float *v, const float *dy, const float *P, float *dq, float *dk,
              float *dv, const cllm_attn_dims &d, float *scratch);

/** y[i] = gelu(x[i]) = x[i] / 2 * (1 + erf(x[i] / sqrt(2))), i < n. */
void gelu_forward(const float *x, float *y, int64_t n);
/** dx[i] = dy[i] * gelu'(x[i]), i < n (dx may be dy). */
void gelu_backward(const float *x, const float *dy, float *dx, int64_t n);

/** Settings of one AdamW update; bias corrections bc1 = 1 - beta1^step, bc2 likewise. */
struct adamw_step {
  float lr, beta1, beta2, eps, weight_decay, bc1, bc2;
  /** Gradient multiplier (the clipping coefficient, 1 when not clipping). */
  float grad_scale;
};

/** One AdamW update of n parameters p with gradient g and moments m, v (all in place). */
void adamw(float *p, const float *g, float *m, float *v, int64_t n, const adamw_step &s);
}  // namespace cllm_avx2

#endif
