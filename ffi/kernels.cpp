/*
 * kernels.cpp: the fused CPU kernels declared in kernels.h.
 *
 * Why by hand: on CPU, libtorch 1.13's attention (upstream's explicit softmax(QK^T)V and
 * at::_scaled_dot_product_attention alike) computes the whole T x T score matrix with bmm,
 * the masked half included, builds a mask tensor, and copies q, k, v into (B, nh, T, hs)
 * and the gradients back; in the training benchmark (bench/model_speed.ts) that was a quarter of a step.
 * Here each (sequence, head) computes only the lower triangle, straight from and into the
 * (B, T, 3C) / (B, T, C) layouts, with the softmax and its backward fused into the tiles.
 *
 * GELU and AdamW are single passes over memory where libtorch makes several (AdamW: five
 * ops per parameter tensor, each a loop of its own).
 *
 * Every attention product is one register tile: out[r][0..16) = sum_k a[r][k] * b[k][0..16)
 * for 4 rows r, which the compiler turns into broadcast-and-FMA on two 8-wide vectors.
 * Accumulation is float32 in k order, like BLAS; exp is Cephes' expf polynomial (within
 * 2 ulp) and erf that of Abramowitz & Stegun, so that softmax and GELU vectorise too.
 *
 * This file includes no libtorch header and no standard-library template: it is compiled
 * with AVX2 while the rest of the library is not, and an inline function shared with the
 * other sources (a template of <vector>, say) compiled here could be the copy the linker
 * keeps for both.
 */
#include "kernels.h"

#if !defined(__AVX2__) || !defined(__FMA__)
#error "compile with -mavx2 -mfma (see ffi/CMakeLists.txt)"
#endif

namespace {

constexpr int kRows = 4;   // rows of a register tile
constexpr int kCols = 16;  // columns of a register tile (two AVX2 vectors)

inline int64_t round_up_(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// exp(x) for the softmax (x <= 0 after subtracting the row max): Cephes expf, branch-free
// so that a loop over it vectorises; below -87 (where expf underflows) it returns 0.
inline float exp_(float x) {
  const float xc = x < -87.0f ? -87.0f : x;
  // n = round(xc / ln 2) by the 1.5 * 2^23 trick (exact for |n| < 2^22; no floor call, which
  // the baseline x86-64 instruction set lacks and would make a libm call of)
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float two_n = __builtin_bit_cast(float, (static_cast<int32_t>(n) + 127) << 23);
  return x < -87.0f ? 0.0f : p * two_n;
}

// 8 floats as one AVX register (GCC/Clang vector extension); v8u is the same with 4-byte
// alignment, for unaligned loads and stores (vmovups).
typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

inline v8 load8_(const float *p) { return *reinterpret_cast<const v8u *>(p); }

inline void store8_(float *p, v8 v) { *reinterpret_cast<v8u *>(p) = v; }

// erf(x) by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7), the formula of
// ATen's vectorised erf, so that GELU here agrees with libtorch's to float rounding
inline float erf_(float x) {
  const float a = __builtin_fabsf(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float r = 1.061405429f;
  r = r * t - 1.453152027f;
  r = r * t + 1.421413741f;
  r = r * t - 0.284496736f;
  r = r * t + 0.254829592f;
  const float e = 1.0f - r * t * exp_(-a * a);
  return __builtin_copysignf(e, x);
}

// out[r * ldo + w] = sum_{k < K} a[r * a_rs + k * a_ks] * b[k * ldb + w], r < R, w < 16:
// 2R accumulators and two b vectors stay in registers (R = 4: 10 of AVX2's 16)
template <int R>
inline void tile_(const float *a, int64_t a_rs, int64_t a_ks, const float *b, int64_t ldb, int64_t K, float *out,
                  int64_t ldo) {
  v8 lo[R], hi[R];
  for (int r = 0; r < R; r++) lo[r] = hi[r] = v8{};
  for (int64_t k = 0; k < K; k++) {
    const v8 b0 = load8_(b + k * ldb), b1 = load8_(b + k * ldb + 8);
    for (int r = 0; r < R; r++) {
      const float x = a[r * a_rs + k * a_ks];
      lo[r] += x * b0;
      hi[r] += x * b1;
    }
  }
  for (int r = 0; r < R; r++) {
    store8_(out + r * ldo, lo[r]);
    store8_(out + r * ldo + 8, hi[r]);
  }
}

// tile_ over `rows` rows: blocks of kRows, then single rows
inline void tiles_(int64_t rows, const float *a, int64_t a_rs, int64_t a_ks, const float *b, int64_t ldb, int64_t K,
                   float *out, int64_t ldo) {
  int64_t r = 0;
  for (; r + kRows <= rows; r += kRows) tile_<kRows>(a + r * a_rs, a_rs, a_ks, b, ldb, K, out + r * ldo, ldo);
  for (; r < rows; r++) tile_<1>(a + r * a_rs, a_rs, a_ks, b, ldb, K, out + r * ldo, ldo);
}

// dst (n x cols, rows ld_dst apart, zero-padded to `ld_dst` columns) = src^T, src (cols x n)
inline void transpose_(const float *src, int64_t ld_src, int64_t rows, int64_t cols, float *dst, int64_t ld_dst) {
  for (int64_t c = 0; c < cols; c++) {
    float *d = dst + c * ld_dst;
    for (int64_t j = 0; j < rows; j++) d[j] = src[j * ld_src + c];
    for (int64_t j = rows; j < ld_dst; j++) d[j] = 0.0f;
  }
}

// lanes[0] + ... + lanes[7], pairwise
inline float sum8_(const float *lanes) {
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

// p[0..n) = softmax(scale * s[0..n)), p[n..width) = 0
inline void softmax_row_(const float *s, int64_t n, float scale, float *p, int64_t width) {
  float lanes[8];
  for (int l = 0; l < 8; l++) lanes[l] = s[0];
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) lanes[l] = s[j + l] > lanes[l] ? s[j + l] : lanes[l];
  for (; j < n; j++) lanes[0] = s[j] > lanes[0] ? s[j] : lanes[0];
  float mx = lanes[0];
  for (int l = 1; l < 8; l++) mx = lanes[l] > mx ? lanes[l] : mx;
  const float shift = mx * scale;  // scale > 0, so max(scale * s) = scale * max(s)
  for (int l = 0; l < 8; l++) lanes[l] = 0.0f;
  for (j = 0; j + 8 <= n; j += 8)
    for (int l = 0; l < 8; l++) lanes[l] += (p[j + l] = exp_(s[j + l] * scale - shift));
  for (; j < n; j++) lanes[0] += (p[j] = exp_(s[j] * scale - shift));
  const float inv = 1.0f / sum8_(lanes);
  for (j = 0; j < n; j++) p[j] *= inv;
  for (; j < width; j++) p[j] = 0.0f;
}

}  // namespace

namespace cllm_avx2 {

size_t forward_scratch(int64_t T, int64_t hs) {
  const int64_t Tp = round_up_(T, kCols);
  return static_cast<size_t>(hs * Tp + kRows * Tp);
}

size_t backward_scratch(int64_t T, int64_t hs) {
  const int64_t Tp = round_up_(T, kCols);
  return static_cast<size_t>(hs * Tp + kRows * Tp + T * Tp);
}

void forward(const float *q, const float *k, const float *v, float *y, float *P, const cllm_attn_dims &d,
             float *scratch) {
  const int64_t T = d.T, hs = d.hs, ld = d.ld_qkv, Tp = round_up_(T, kCols);
  float *Kt = scratch;       // (hs, Tp): k transposed, so score tiles read rows
  float *S = Kt + hs * Tp;   // (kRows, Tp): raw scores of the current rows
  transpose_(k, ld, T, hs, Kt, Tp);
  for (int64_t i0 = 0; i0 < T; i0 += kRows) {
    const int64_t rows = T - i0 < kRows ? T - i0 : kRows;
    const int64_t jend = round_up_(i0 + rows, kCols);  // columns j <= i0 + rows - 1 are needed
    for (int64_t j0 = 0; j0 < jend; j0 += kCols) tiles_(rows, q + i0 * ld, ld, 1, Kt + j0, Tp, hs, S + j0, Tp);
    for (int64_t r = 0; r < rows; r++) softmax_row_(S + r * Tp, i0 + r + 1, d.scale, P + (i0 + r) * T, T);
    // y = P v over the keys these rows see (P is zero above the diagonal)
    for (int64_t c0 = 0; c0 < hs; c0 += kCols)
      tiles_(rows, P + i0 * T, T, 1, v + c0, ld, i0 + rows, y + i0 * d.ld_y + c0, d.ld_y);
  }
}

void backward(const float *q, const float *k, const float *v, const float *dy, const float *P, float *dq, float *dk,
              float *dv, const cllm_attn_dims &d, float *scratch) {
  const int64_t T = d.T, hs = d.hs, ld = d.ld_qkv, ldy = d.ld_y, Tp = round_up_(T, kCols);
  float *Vt = scratch;        // (hs, Tp): v transposed
  float *dP = Vt + hs * Tp;   // (kRows, Tp): gradient of P for the current rows
  float *dS = dP + kRows * Tp;  // (T, Tp): gradient of the scaled scores q k^T
  transpose_(v, ld, T, hs, Vt, Tp);
  for (int64_t i0 = 0; i0 < T; i0 += kRows) {
    const int64_t rows = T - i0 < kRows ? T - i0 : kRows;
    const int64_t jend = round_up_(i0 + rows, kCols);
    for (int64_t j0 = 0; j0 < jend; j0 += kCols) tiles_(rows, dy + i0 * ldy, ldy, 1, Vt + j0, Tp, hs, dP + j0, Tp);
    // softmax backward: dS = P * (dP - sum_j P dP) * scale
    for (int64_t r = 0; r < rows; r++) {
      const int64_t i = i0 + r, n = i + 1;
      const float *p = P + i * T, *g = dP + r * Tp;
      float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t j = 0;
      for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++) lanes[l] += p[j + l] * g[j + l];
      for (; j < n; j++) lanes[0] += p[j] * g[j];
      const float D = sum8_(lanes);
      float *s = dS + i * Tp;
      for (j = 0; j < n; j++) s[j] = p[j] * (g[j] - D) * d.scale;
      for (; j < Tp; j++) s[j] = 0.0f;
    }
    // dq = dS k
    for (int64_t c0 = 0; c0 < hs; c0 += kCols)
      tiles_(rows, dS + i0 * Tp, Tp, 1, k + c0, ld, i0 + rows, dq + i0 * ld + c0, ld);
  }
  // dk = dS^T q and dv = P^T dy; row j only gets contributions from rows i >= j
  for (int64_t j0 = 0; j0 < T; j0 += kRows) {
    const int64_t rows = T - j0 < kRows ? T - j0 : kRows;
    for (int64_t c0 = 0; c0 < hs; c0 += kCols) {
      tiles_(rows, dS + j0 * Tp + j0, 1, Tp, q + j0 * ld + c0, ld, T - j0, dk + j0 * ld + c0, ld);
      tiles_(rows, P + j0 * T + j0, 1, T, dy + j0 * ldy + c0, ldy, T - j0, dv + j0 * ld + c0, ld);
    }
  }
}

// GELU of upstream's nn.GELU(): the erf form, and its derivative as ATen's GeluBackward
void gelu_forward(const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erf_(x[i] * 0.70710678118654752f));
}

void gelu_backward(const float *x, const float *dy, float *dx, int64_t n) {
  const float kBeta = 0.39894228040143268f;  // 1 / sqrt(2 pi)
  for (int64_t i = 0; i < n; i++) {
    const float xi = x[i];
    const float cdf = 0.5f * (1.0f + erf_(xi * 0.70710678118654752f));
    const float pdf = kBeta * exp_(-0.5f * xi * xi);
    dx[i] = dy[i] * (cdf + xi * pdf);
  }
}

// AdamW as torch 1.13 torch/optim/adamw.py _single_tensor_adamw, one pass instead of five
void adamw(float *p, const float *g, float *m, float *v, int64_t n, const adamw_step &s) {
  const float decay = 1.0f - s.lr * s.weight_decay, step_size = s.lr / s.bc1;
  const float bc2_sqrt = __builtin_sqrtf(s.bc2), b1 = s.beta1, b2 = s.beta2;
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i] * s.grad_scale;
    const float mi = m[i] * b1 + gi * (1.0f - b1);
    const float vi = v[i] * b2 + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - step_size * (mi / (__builtin_sqrtf(vi) / bc2_sqrt + s.eps));
  }
}

}  // namespace cllm_avx2
