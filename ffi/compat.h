/*
 * compat.h: every difference between the libtorch versions this library builds against,
 * in one place: Debian's libtorch 1.13 (CPU) and the libtorch inside PyTorch 2.0 .. 2.11
 * (CUDA). The other sources call only these wrappers where the APIs differ.
 *
 *   1.13  at::_scaled_dot_product_attention (private, returns a tuple)
 *   2.0   at::scaled_dot_product_attention; at::_fused_adamw_ (CUDA)
 *   2.4   autocast state per device type (set_autocast_enabled(device, on)); the
 *         CUDA-only set_enabled / set_autocast_gpu_dtype become deprecated
 */
#ifndef CRYSTALLM_COMPAT_H
#define CRYSTALLM_COMPAT_H

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#define CLLM_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// at::_fused_adamw_: one multi-tensor AdamW kernel launch for a list of CUDA tensors
#if CLLM_TORCH_AT_LEAST(2, 0)
#define CLLM_HAVE_FUSED_ADAMW 1
#else
#define CLLM_HAVE_FUSED_ADAMW 0
#endif

// the CUDA toolkit version the libtorch was built with, passed by CMakeLists.txt ("" on CPU builds)
#ifndef CLLM_CUDA_VERSION
#define CLLM_CUDA_VERSION ""
#endif

namespace cllm_compat {

// Scaled dot-product attention (B, nh, T, hs) -> (B, nh, T, hs). On CUDA, 2.x picks the
// flash or memory-efficient kernel for bf16/fp16 inputs; on CPU 1.13's private one beats
// the explicit softmax(QK^T)V of upstream's "slow attention".
inline torch::Tensor sdpa(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v, double dropout_p,
                          bool is_causal) {
#if CLLM_TORCH_AT_LEAST(2, 0)
  return at::scaled_dot_product_attention(q, k, v, {}, dropout_p, is_causal);
#else
  return std::get<0>(at::_scaled_dot_product_attention(q, k, v, {}, dropout_p, false, is_causal));
#endif
}

// Turn autocast on (dtype) or off for one device type, on the calling thread.
inline void set_autocast(bool cuda, bool on, at::ScalarType dtype) {
#if CLLM_TORCH_AT_LEAST(2, 4)
  const auto type = cuda ? at::kCUDA : at::kCPU;
  at::autocast::set_autocast_enabled(type, on);
  if (on) at::autocast::set_autocast_dtype(type, dtype);
#else
  if (cuda) {
    at::autocast::set_enabled(on);
    if (on) at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(on);
    if (on) at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
  if (!on) at::autocast::clear_cache();
}

// Whether autocast is on for a device type on the calling thread.
inline bool autocast_enabled(bool cuda) {
#if CLLM_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

// float32 matmuls on TensorFloat-32 tensor cores (upstream's train.py and sample.py set
// torch.backends.cuda.matmul.allow_tf32 = True) or in full float32 ("highest").
inline void set_tf32(bool on) { at::globalContext().setFloat32MatmulPrecision(on ? "high" : "highest"); }

}  // namespace cllm_compat

#endif  // CRYSTALLM_COMPAT_H
