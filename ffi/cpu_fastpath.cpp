/*
 * cpu_fastpath.cpp: the CPU fast paths of cpu_fastpath.h, the fused CPU kernels
 * (ffi/kernels.cpp) wrapped in autograd nodes, and the dispatch between them and
 * libtorch's operators.
 *
 * On CPU in float32 the model runs its attention, GELU, linear layers and AdamW through
 * these instead of libtorch's operators, for training speed. All parallel work then
 * runs on libtorch's OpenMP threads: every GEMM is split by rows over them, each part a
 * single-threaded BLAS call, so OpenBLAS's own thread pool is set to one thread. Left at its
 * default, its threads spin in sched_yield between calls and take a core from the OpenMP
 * threads of every elementwise op (in the training benchmark of bench/model_speed.ts a quarter of the CPU
 * time went to the kernel's scheduler). CRYSTALLM_CPU_KERNELS=off restores libtorch's
 * operators and BLAS threading.
 *
 * Sampling's one-query attention against the KV cache has a plain-loop CPU path of its own
 * (whatever CRYSTALLM_CPU_KERNELS says), and CRYSTALLM_ATTENTION=math swaps libtorch's
 * fused attention for upstream's explicit softmax(QK^T)V.
 *
 * Glossary: B = batch size, T = sequence length, C = n_embd, nh = n_head, hs = C / nh.
 */
#include "cpu_fastpath.h"

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "compat.h"
#include "runtime.h"

namespace cllm {
namespace ops {

// ----------------------------------------------------------------------------
// switches, and attention on the plain paths

namespace {

// Whether attention runs as upstream's explicit softmax(QK^T/sqrt(hs))V ("slow attention")
// instead of libtorch's fused kernels: CRYSTALLM_ATTENTION=math. For diagnosis (it takes the
// flash / memory-efficient / cuDNN kernels out of a run) and comparisons. Read once.
bool math_attention_() {
  static const bool on = [] {
    const char *e = std::getenv("CRYSTALLM_ATTENTION");
    return e != nullptr && std::strcmp(e, "math") == 0;
  }();
  return on;
}

// Scaled dot-product attention (compat.h: 1.13's private one, 2.x's public one).
torch::Tensor sdpa_(const torch::Tensor &q, const torch::Tensor &k, const torch::Tensor &v, double dropout_p,
                    bool is_causal) {
  if (!math_attention_()) return cllm_compat::sdpa(q, k, v, dropout_p, is_causal);
  auto att = q.matmul(k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  if (is_causal) {
    const int64_t T = q.size(-2), L = k.size(-2);
    auto mask = torch::ones({T, L}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).tril(L - T);
    att = att.masked_fill(mask.logical_not(), -std::numeric_limits<double>::infinity());
  }
  att = torch::softmax(att, -1);
  if (dropout_p > 0) att = torch::dropout(att, dropout_p, true);
  return att.to(v.scalar_type()).matmul(v);
}

// Attention of one new query per sequence against its KV cache, on CPU in float32.
// at::bmm loops over the B*nh (1 x hs) @ (hs x L) products calling BLAS for each, ~20 us
// apiece, which made batched sampling cost ~0.6 ms per sequence per step; plain loops
// over (b, h) in parallel do the same arithmetic without that overhead.
// q: (B, nh, 1, hs); kc, vc: the whole caches (B, nh, cap, hs), contiguous; L keys used.
torch::Tensor decode_attention_cpu_(const torch::Tensor &q, const torch::Tensor &kc, const torch::Tensor &vc,
                                    int64_t L) {
  auto qc = q.contiguous();
  auto out = torch::empty_like(qc);  // (B, nh, 1, hs)
  const int64_t BH = q.size(0) * q.size(1), hs = q.size(3), cap = kc.size(2);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const float *qp = qc.data_ptr<float>(), *kp = kc.data_ptr<float>(), *vp = vc.data_ptr<float>();
  float *op = out.data_ptr<float>();
  at::parallel_for(0, BH, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> w(L);
    for (int64_t i = begin; i < end; i++) {
      const float *qi = qp + i * hs, *ki = kp + i * cap * hs, *vi = vp + i * cap * hs;
      float *oi = op + i * hs;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t l = 0; l < L; l++) {
        const float *kl = ki + l * hs;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // 8 lanes so the compiler vectorises
        int64_t c = 0;
        for (; c + 8 <= hs; c += 8)
          for (int j = 0; j < 8; j++) acc[j] += qi[c + j] * kl[c + j];
        float d = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; c < hs; c++) d += qi[c] * kl[c];
        w[l] = d * scale;
        mx = std::max(mx, w[l]);
      }
      float sum = 0;
      for (int64_t l = 0; l < L; l++) sum += (w[l] = std::exp(w[l] - mx));
      for (int64_t c = 0; c < hs; c++) oi[c] = 0;
      for (int64_t l = 0; l < L; l++) {
        const float a = w[l] / sum, *vl = vi + l * hs;
        for (int64_t c = 0; c < hs; c++) oi[c] += a * vl[c];
      }
    }
  });
  return out;
}

// Whether the CPU kernels are built (x86-64) and this CPU has AVX2 and FMA.
bool cpu_kernels_available_() {
#if defined(CLLM_HAVE_AVX2)
  static const bool ok = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return ok;
#else
  return false;
#endif
}

// Whether the CPU kernels are used: available, and not turned off with
// CRYSTALLM_CPU_KERNELS=off (for comparisons, and as an escape hatch). Read once.
bool cpu_kernels_enabled_() {
  static const bool on = [] {
    const char *e = std::getenv("CRYSTALLM_CPU_KERNELS");
    return cpu_kernels_available_() && (e == nullptr || std::strcmp(e, "off") != 0);
  }();
  return on;
}

// OpenBLAS's openblas_set_num_threads, found in whichever loaded library exports it (the
// BLAS comes in through libtorch, so it is not in the global symbol scope; and its file may
// be named libblas.so.3), or null.
using set_threads_fn = void (*)(int);
int find_openblas_(struct dl_phdr_info *info, size_t, void *out) {
  if (info->dlpi_name == nullptr || info->dlpi_name[0] == '\0') return 0;
  void *h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
  if (h == nullptr) return 0;
  void *f = dlsym(h, "openblas_set_num_threads");
  dlclose(h);
  if (f == nullptr) return 0;
  *static_cast<void **>(out) = f;
  return 1;
}

}  // namespace

// Once, where the CPU kernels are used: OpenBLAS to one thread (see the file comment). Other BLAS
// libraries (MKL, OpenBLAS built with OpenMP, the reference BLAS) already run one thread
// inside an OpenMP parallel region.
void configure_blas() {
  static const bool done = [] {
    void *f = nullptr;
    if (cpu_kernels_enabled_()) dl_iterate_phdr(find_openblas_, &f);
    if (f != nullptr) reinterpret_cast<set_threads_fn>(f)(1);
    return true;
  }();
  (void)done;
}

// Whether a tensor takes the CPU kernels' path: float32 on CPU, outside bfloat16 autocast
// (whose casts happen in libtorch's operators).
bool cpu_kernel_path(const torch::Tensor &t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat && !cllm_compat::autocast_enabled(false) &&
         cpu_kernels_enabled_();
}

// ----------------------------------------------------------------------------
// autograd nodes over the fused kernels

namespace {

// at::parallel_for over [0, n) in chunks of at least `grain`, with grad mode off in every
// thread (grad mode is per thread, and only the caller's is off inside an autograd node).
template <typename F>
void parallel_(int64_t n, int64_t grain, const F &f) {
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    torch::NoGradGuard ng;
    f(begin, end);
  });
}

#if defined(CLLM_HAVE_AVX2)
// Causal self-attention as one autograd node: (B, T, 3C) c_attn output -> (B, T, C), heads
// side by side, i.e. what split + view + transpose + SDPA + transpose + contiguous compute,
// without the copies or the masked half of the scores. Saves the softmax P (B, nh, T, T)
// for the backward pass, which returns d(qkv) directly.
struct CausalAttentionFn : public torch::autograd::Function<CausalAttentionFn> {
  static cllm_attn_dims dims_(const torch::Tensor &x, int64_t n_head) {
    const int64_t T = x.size(1), C = x.size(2) / 3, hs = C / n_head;
    return {T, hs, 3 * C, C, static_cast<float>(1.0 / std::sqrt(static_cast<double>(hs)))};
  }

  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &qkv, int64_t n_head) {
    auto x = qkv.contiguous();
    const cllm_attn_dims d = dims_(x, n_head);
    const int64_t B = x.size(0), T = d.T, C = d.ld_y, hs = d.hs;
    auto y = torch::empty({B, T, C}, x.options());
    auto P = torch::empty({B, n_head, T, T}, x.options());
    const float *xp = x.data_ptr<float>();
    float *yp = y.data_ptr<float>(), *pp = P.data_ptr<float>();
    parallel_(B * n_head, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> scratch(cllm_avx2::forward_scratch(T, hs));
      for (int64_t bh = begin; bh < end; bh++) {
        const int64_t b = bh / n_head, h = bh % n_head;
        const float *q = xp + b * T * 3 * C + h * hs;
        cllm_avx2::forward(q, q + C, q + 2 * C, yp + b * T * C + h * hs, pp + bh * T * T, d, scratch.data());
      }
    });
    ctx->save_for_backward({x, P});
    ctx->saved_data["n_head"] = n_head;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &P = saved[1];
    const int64_t n_head = ctx->saved_data["n_head"].toInt();
    const cllm_attn_dims d = dims_(x, n_head);
    const int64_t B = x.size(0), T = d.T, C = d.ld_y, hs = d.hs;
    auto dy = grad_out[0].contiguous();
    auto dx = torch::empty_like(x);
    const float *xp = x.data_ptr<float>(), *dyp = dy.data_ptr<float>(), *pp = P.data_ptr<float>();
    float *dxp = dx.data_ptr<float>();
    parallel_(B * n_head, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> scratch(cllm_avx2::backward_scratch(T, hs));
      for (int64_t bh = begin; bh < end; bh++) {
        const int64_t b = bh / n_head, h = bh % n_head, off = b * T * 3 * C + h * hs;
        cllm_avx2::backward(xp + off, xp + off + C, xp + off + 2 * C, dyp + b * T * C + h * hs, pp + bh * T * T,
                            dxp + off, dxp + off + C, dxp + off + 2 * C, d, scratch.data());
      }
    });
    return {dx, torch::Tensor()};
  }
};

// GELU (erf form) as one autograd node, both passes single fused loops.
struct GeluFn : public torch::autograd::Function<GeluFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &input) {
    auto x = input.contiguous();
    auto y = torch::empty_like(x);
    const float *xp = x.data_ptr<float>();
    float *yp = y.data_ptr<float>();
    parallel_(x.numel(), 1 << 14, [&](int64_t b, int64_t e) { cllm_avx2::gelu_forward(xp + b, yp + b, e - b); });
    ctx->save_for_backward({x});
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list grad_out) {
    auto x = ctx->get_saved_variables()[0];
    auto dy = grad_out[0].contiguous();
    auto dx = torch::empty_like(x);
    const float *xp = x.data_ptr<float>(), *dyp = dy.data_ptr<float>();
    float *dxp = dx.data_ptr<float>();
    parallel_(x.numel(), 1 << 14,
              [&](int64_t b, int64_t e) { cllm_avx2::gelu_backward(xp + b, dyp + b, dxp + b, e - b); });
    return {dx};
  }
};
#endif

}  // namespace

// One AdamW update of p (CPU float32, contiguous state) through the kernel, `a` as in
// kernels.h; only called on the CPU kernels' path.
void adamw_fused(torch::Tensor &p, const torch::Tensor &grad, torch::Tensor &exp_avg, torch::Tensor &exp_avg_sq,
                 const cllm_avx2::adamw_step &a) {
#if defined(CLLM_HAVE_AVX2)
  auto g = grad.contiguous();
  float *pp = p.data_ptr<float>(), *mp = exp_avg.data_ptr<float>(), *vp = exp_avg_sq.data_ptr<float>();
  const float *gp = g.data_ptr<float>();
  parallel_(p.numel(), 1 << 14, [&](int64_t b, int64_t e) { cllm_avx2::adamw(pp + b, gp + b, mp + b, vp + b, e - b, a); });
#else
  CLLM_CHECK(false, CLLM_ERR_INTERNAL, "adamw_fused: this library was built without the CPU kernels");
#endif
}

namespace {

// y = x W^T (+ b) with its GEMMs split over the intra-op threads: rows of x for y and dx,
// rows of W for dW and db, each part one BLAS call (single-threaded, see configure_blas).
namespace split_linear {

torch::Tensor forward(const torch::Tensor &x2, const torch::Tensor &w, const torch::Tensor &b) {
  auto y = torch::empty({x2.size(0), w.size(0)}, x2.options());
  auto wt = w.t();
  parallel_(x2.size(0), 16, [&](int64_t m0, int64_t m1) {
    auto yc = y.narrow(0, m0, m1 - m0);
    if (b.defined()) at::addmm_out(yc, b, x2.narrow(0, m0, m1 - m0), wt);
    else at::mm_out(yc, x2.narrow(0, m0, m1 - m0), wt);
  });
  return y;
}

// {dx2, dw, db (undefined without bias)} from dy (M, N)
std::vector<torch::Tensor> backward(const torch::Tensor &dy, const torch::Tensor &x2, const torch::Tensor &w,
                                    bool has_bias) {
  const int64_t N = w.size(0), K = w.size(1), M = x2.size(0);
  auto dx = torch::empty({M, K}, x2.options());
  auto dw = torch::empty({N, K}, w.options());
  torch::Tensor db = has_bias ? torch::empty({N}, w.options()) : torch::Tensor();
  parallel_(M, 16, [&](int64_t m0, int64_t m1) {
    auto dxc = dx.narrow(0, m0, m1 - m0);
    at::mm_out(dxc, dy.narrow(0, m0, m1 - m0), w);
  });
  parallel_(N, 8, [&](int64_t n0, int64_t n1) {
    auto dyc = dy.narrow(1, n0, n1 - n0);
    auto dwc = dw.narrow(0, n0, n1 - n0);
    at::mm_out(dwc, dyc.t(), x2);
    if (has_bias) {
      auto dbc = db.narrow(0, n0, n1 - n0);
      at::sum_out(dbc, dyc, {0});
    }
  });
  return {dx, dw, db};
}

std::vector<int64_t> with_last(c10::IntArrayRef sizes, int64_t last) {
  auto v = sizes.vec();
  v.back() = last;
  return v;
}

// forward of both nodes: flattens x to (M, K) and saves what backward needs
torch::Tensor apply(torch::autograd::AutogradContext *ctx, const torch::Tensor &x, const torch::Tensor &w,
                    const torch::Tensor &b) {
  auto x2 = x.reshape({-1, w.size(1)}).contiguous();
  ctx->save_for_backward({x2, w});
  return forward(x2, w, b).view(with_last(x.sizes(), w.size(0)));
}

// backward of both nodes: {dx, dw, db}
std::vector<torch::Tensor> grads(torch::autograd::AutogradContext *ctx, const torch::Tensor &g, bool has_bias) {
  auto s = ctx->get_saved_variables();
  auto r = backward(g.reshape({-1, s[1].size(0)}).contiguous(), s[0], s[1], has_bias);
  r[0] = r[0].view(with_last(g.sizes(), s[1].size(1)));
  return r;
}

}  // namespace split_linear

struct LinearFn : public torch::autograd::Function<LinearFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x, const torch::Tensor &w,
                               const torch::Tensor &b) {
    return split_linear::apply(ctx, x, w, b);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list g) {
    return split_linear::grads(ctx, g[0], true);
  }
};

// LinearFn without bias (autograd nodes take no undefined tensor inputs)
struct LinearNoBiasFn : public torch::autograd::Function<LinearNoBiasFn> {
  static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x, const torch::Tensor &w) {
    return split_linear::apply(ctx, x, w, torch::Tensor());
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list g) {
    auto r = split_linear::grads(ctx, g[0], false);
    return {r[0], r[1]};
  }
};

}  // namespace

// ----------------------------------------------------------------------------
// the dispatch points

torch::Tensor linear(const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b) {
  if (!cpu_kernel_path(x)) return torch::nn::functional::linear(x, w, b);
  return b.defined() ? LinearFn::apply(x, w, b) : LinearNoBiasFn::apply(x, w);
}

torch::Tensor gelu(const torch::Tensor &x) {
#if defined(CLLM_HAVE_AVX2)
  if (cpu_kernel_path(x)) return GeluFn::apply(x);
#endif
  return torch::gelu(x);
}

torch::Tensor causal_attention(const torch::Tensor &qkv_all, int64_t n_head, double dropout_p, KVCache *cache) {
  const int64_t B = qkv_all.size(0), T = qkv_all.size(1), C = qkv_all.size(2) / 3, hs = C / n_head;
#if defined(CLLM_HAVE_AVX2)
  // dropout inside attention and head sizes off the 16-column tiles take libtorch's SDPA
  if (cache == nullptr && cpu_kernel_path(qkv_all) && hs % 16 == 0 && !(dropout_p > 0)) {
    return CausalAttentionFn::apply(qkv_all, n_head);
  }
#endif
  auto qkv = qkv_all.split(C, 2);
  auto q = qkv[0].view({B, T, n_head, hs}).transpose(1, 2);  // (B, nh, T, hs)
  auto k = qkv[1].view({B, T, n_head, hs}).transpose(1, 2);  // (B, nh, T, hs)
  auto v = qkv[2].view({B, T, n_head, hs}).transpose(1, 2);  // (B, nh, T, hs)
  bool causal = T > 1;
  if (cache != nullptr) {
    CLLM_CHECK(cache->len == 0 || T == 1, CLLM_ERR_INTERNAL, "KV cache takes a prefill, then one token at a time");
    if (!cache->k.defined()) {
      CLLM_CHECK(false, CLLM_ERR_INTERNAL, "KV cache not allocated");
    }
    if (cache->k.scalar_type() != k.scalar_type()) {
      cache->k = cache->k.to(k.scalar_type());
      cache->v = cache->v.to(v.scalar_type());
    }
    cache->k.narrow(2, cache->len, T).copy_(k);
    cache->v.narrow(2, cache->len, T).copy_(v);
    cache->len += T;
    if (T == 1 && q.device().is_cpu() && q.scalar_type() == torch::kFloat && cache->k.is_contiguous() &&
        cache->v.is_contiguous()) {
      auto y = decode_attention_cpu_(q, cache->k, cache->v, cache->len);  // (B, nh, 1, hs)
      return y.transpose(1, 2).contiguous().view({B, T, C});
    }
    k = cache->k.narrow(2, 0, cache->len);  // (B, nh, len, hs)
    v = cache->v.narrow(2, 0, cache->len);
    causal = cache->len == T && T > 1;  // a single new query sees every cached key
  }
  auto y = sdpa_(q, k, v, dropout_p, causal);  // (B, nh, T, hs)
  return y.transpose(1, 2).contiguous().view({B, T, C});  // re-assemble all head outputs side by side
}

const char *cpu_kernels() {
  return cpu_kernels_enabled_() ? "avx2" : cpu_kernels_available_() ? "off" : "unavailable";
}

}  // namespace ops
}  // namespace cllm
