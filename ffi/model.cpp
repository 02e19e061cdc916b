/*
 * model.cpp: full definition of CrystaLLM's GPT language model on libtorch, all of it in
 * this single file, behind the C ABI of crystallm.h.
 *
 * The model is upstream CrystaLLM's crystallm/model.py at commit 8e81a86, itself
 * nanoGPT's model.py (Karpathy), which follows OpenAI's GPT-2 and HuggingFace's
 * implementation. Module names equal the checkpoint keys (`transformer.h.{i}.attn.c_attn`)
 * so loading a state dict is a key-by-key copy done by ffi/mod.ts.
 *
 * No file format lives here: checkpoints are read and written in TypeScript
 * (checkpoint/), and this library only receives and returns named float buffers.
 *
 * Glossary: B = batch size, T = sequence length, C = n_embd, V = vocab_size,
 * nh = n_head, hs = C / nh.
 */
// defines: torch::Tensor, torch::nn modules, at::_scaled_dot_product_attention
#include <torch/torch.h>
// defines: TORCH_VERSION_MAJOR / MINOR / PATCH
#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <cmath>
#include <cstdlib>
#include <dlfcn.h>
#include <link.h>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "compat.h"
#include "kernels.h"
#include "crystallm.h"

// ----------------------------------------------------------------------------
// errors: every extern "C" function runs its body through guard_(), which turns a C++
// exception into a status and a message on the handle; nothing ever reaches Deno.

namespace {

struct CllmError : std::runtime_error {
  int status;
  CllmError(int s, const std::string &msg) : std::runtime_error(msg), status(s) {}
};

// CLLM_CHECK(cond, status, msg): fail with "file:line: msg" (llm.c's *Check, minus exit()).
#define CLLM_CHECK(cond, status, msg)                                                     \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::ostringstream os_;                                                             \
      os_ << __FILE__ << ":" << __LINE__ << ": " << msg;                                  \
      throw CllmError((status), os_.str());                                               \
    }                                                                                     \
  } while (0)

std::string g_error;              // message of the last handle-less call
std::atomic<int> g_num_threads{0};  // requested intra-op threads (0 = leave libtorch's)

void configure_blas_();  // defined with the CPU kernels below

// OpenMP keeps the thread count per thread: applied on the worker thread before each call.
void apply_threads_() {
  int n = g_num_threads.load();
  if (n > 0 && at::get_num_threads() != n) at::set_num_threads(n);
  configure_blas_();
}

// All libtorch work runs on one worker thread owned by the library. Deno runs nonblocking
// calls on a pool of threads; left there, every new thread got its own OpenMP pool and
// glibc malloc arena (peak RSS doubled in the training benchmark), and the thread count,
// being per thread under OpenMP, had to be re-applied on each. The caller's thread waits.
class Worker {
 public:
  Worker() : thread_([this] { loop_(); }) { thread_.detach(); }
  void run(const std::function<void()> &fn) {
    std::packaged_task<void()> task(fn);
    auto done = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    done.get();  // rethrows the task's exception on the caller's thread
  }

 private:
  void loop_() {
    while (true) {
      std::packaged_task<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> queue_;
  std::thread thread_;
};

// Leaked on purpose: the detached thread lives until the process ends, and no static
// destructor may wait for it during exit().
Worker &worker_() {
  static Worker *w = new Worker();
  return *w;
}

template <typename F>
int guard_(std::string &error, F &&body) {
  try {
    error.clear();
    worker_().run([&] {
      apply_threads_();
      body();
    });
    return CLLM_OK;
  } catch (const CllmError &e) {
    error = e.what();
    return e.status;
  } catch (const c10::Error &e) {
    std::string what = e.what_without_backtrace();
    // keep the first line of a CUDA out-of-memory report, which says how much was asked for
    if (what.find("out of memory") != std::string::npos) {
      error = "GPU out of memory: " + what.substr(0, what.find('\n')) + " (a smaller batch size needs less)";
    } else {
      error = "libtorch: " + what;
    }
    return CLLM_ERR_TORCH;
  } catch (const std::exception &e) {
    error = std::string("C++ exception: ") + e.what();
    return CLLM_ERR_INTERNAL;
  } catch (...) {
    error = "unknown C++ exception";
    return CLLM_ERR_INTERNAL;
  }
}

// ----------------------------------------------------------------------------
// a flat JSON object reader for option sets ({"key": number | string | bool | null})

struct JsonValue {
  enum Kind { Null, Number, String, Bool } kind = Null;
  double number = 0;
  std::string text;
  bool flag = false;
};

std::map<std::string, JsonValue> parse_flat_json_(const char *s) {
  CLLM_CHECK(s != nullptr, CLLM_ERR_ARGUMENT, "options JSON is NULL");
  std::map<std::string, JsonValue> out;
  size_t i = 0, n = std::strlen(s);
  auto ws = [&] { while (i < n && std::isspace(static_cast<unsigned char>(s[i]))) i++; };
  auto str = [&] {
    CLLM_CHECK(i < n && s[i] == '"', CLLM_ERR_ARGUMENT, "bad JSON: string expected at " << i);
    std::string r;
    for (i++; i < n && s[i] != '"'; i++) {
      if (s[i] == '\\' && i + 1 < n) {
        char e = s[++i];
        r += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        r += s[i];
      }
    }
    CLLM_CHECK(i < n, CLLM_ERR_ARGUMENT, "bad JSON: unterminated string");
    i++;
    return r;
  };
  ws();
  CLLM_CHECK(i < n && s[i] == '{', CLLM_ERR_ARGUMENT, "bad JSON: object expected");
  i++;
  ws();
  if (i < n && s[i] == '}') return out;
  while (true) {
    ws();
    std::string key = str();
    ws();
    CLLM_CHECK(i < n && s[i] == ':', CLLM_ERR_ARGUMENT, "bad JSON: ':' expected after \"" << key << "\"");
    i++;
    ws();
    JsonValue v;
    if (i < n && s[i] == '"') {
      v.kind = JsonValue::String;
      v.text = str();
    } else if (std::strncmp(s + i, "true", 4) == 0) {
      v.kind = JsonValue::Bool, v.flag = true, i += 4;
    } else if (std::strncmp(s + i, "false", 5) == 0) {
      v.kind = JsonValue::Bool, i += 5;
    } else if (std::strncmp(s + i, "null", 4) == 0) {
      i += 4;
    } else {
      char *end = nullptr;
      v.number = std::strtod(s + i, &end);
      CLLM_CHECK(end != s + i, CLLM_ERR_ARGUMENT, "bad JSON: value expected for \"" << key << "\"");
      v.kind = JsonValue::Number;
      i = end - s;
    }
    out[key] = v;
    ws();
    if (i < n && s[i] == ',') { i++; continue; }
    CLLM_CHECK(i < n && s[i] == '}', CLLM_ERR_ARGUMENT, "bad JSON: ',' or '}' expected");
    return out;
  }
}

double num_(const std::map<std::string, JsonValue> &j, const char *key, double dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->second.kind == JsonValue::Null) return dflt;
  CLLM_CHECK(it->second.kind == JsonValue::Number, CLLM_ERR_ARGUMENT, "option " << key << " must be a number");
  return it->second.number;
}
bool flag_(const std::map<std::string, JsonValue> &j, const char *key, bool dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->second.kind == JsonValue::Null) return dflt;
  CLLM_CHECK(it->second.kind == JsonValue::Bool, CLLM_ERR_ARGUMENT, "option " << key << " must be a boolean");
  return it->second.flag;
}
std::string text_(const std::map<std::string, JsonValue> &j, const char *key, const std::string &dflt) {
  auto it = j.find(key);
  if (it == j.end() || it->second.kind == JsonValue::Null) return dflt;
  CLLM_CHECK(it->second.kind == JsonValue::String, CLLM_ERR_ARGUMENT, "option " << key << " must be a string");
  return it->second.text;
}

// ----------------------------------------------------------------------------
// the model, in forward order, as upstream model.py

struct GPTConfig {
  int64_t block_size = 1024;
  int64_t vocab_size = 371;  // CrystaLLM's CIF tokenizer (upstream pads nothing here)
  int64_t n_layer = 12;
  int64_t n_head = 12;
  int64_t n_embd = 768;
  double dropout = 0.0;
  bool bias = true;  // True: bias in Linears and LayerNorms, like GPT-2
};

// KV cache of one layer: (B, nh, T_max, hs) each, filled up to len.
struct KVCache {
  torch::Tensor k, v;
  int64_t len = 0;
};

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

// ----------------------------------------------------------------------------
// fused CPU kernels (ffi/kernels.cpp) and the autograd nodes that use them
//
// On CPU in float32 the model runs its attention, GELU, linear layers and AdamW through
// these instead of libtorch's operators (issue 4: training speed). All parallel work then
// runs on libtorch's OpenMP threads: every GEMM is split by rows over them, each part a
// single-threaded BLAS call, so OpenBLAS's own thread pool is set to one thread. Left at its
// default, its threads spin in sched_yield between calls and take a core from the OpenMP
// threads of every elementwise op (in the issue-4 training benchmark a quarter of the CPU
// time went to the kernel's scheduler). CRYSTALLM_CPU_KERNELS=off restores libtorch's
// operators and BLAS threading.

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

// Once, where the CPU kernels are used: OpenBLAS to one thread (see above). Other BLAS
// libraries (MKL, OpenBLAS built with OpenMP, the reference BLAS) already run one thread
// inside an OpenMP parallel region.
void configure_blas_() {
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
bool cpu_kernel_path_(const torch::Tensor &t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat && !cllm_compat::autocast_enabled(false) &&
         cpu_kernels_enabled_();
}

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

// One AdamW update of p (CPU float32, contiguous state) through the kernel, `a` as in
// kernels.h; only called on the CPU kernels' path.
void adamw_fused_(torch::Tensor &p, const torch::Tensor &grad, torch::Tensor &exp_avg, torch::Tensor &exp_avg_sq,
                  const cllm_avx2::adamw_step &a) {
#if defined(CLLM_HAVE_AVX2)
  auto g = grad.contiguous();
  float *pp = p.data_ptr<float>(), *mp = exp_avg.data_ptr<float>(), *vp = exp_avg_sq.data_ptr<float>();
  const float *gp = g.data_ptr<float>();
  parallel_(p.numel(), 1 << 14, [&](int64_t b, int64_t e) { cllm_avx2::adamw(pp + b, gp + b, mp + b, vp + b, e - b, a); });
#else
  CLLM_CHECK(false, CLLM_ERR_INTERNAL, "adamw_fused_: this library was built without the CPU kernels");
#endif
}

// y = x W^T (+ b) with its GEMMs split over the intra-op threads: rows of x for y and dx,
// rows of W for dW and db, each part one BLAS call (single-threaded, see configure_blas_).
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

// F.linear(x, w, b), through LinearFn on the CPU kernels' path
torch::Tensor linear_(const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b) {
  if (!cpu_kernel_path_(x)) return torch::nn::functional::linear(x, w, b);
  return b.defined() ? LinearFn::apply(x, w, b) : LinearNoBiasFn::apply(x, w);
}

torch::Tensor linear_(const torch::nn::Linear &l, const torch::Tensor &x) { return linear_(x, l->weight, l->bias); }

// nn.GELU() of upstream: the exact erf form, not the tanh approximation
torch::Tensor gelu_(const torch::Tensor &x) {
#if defined(CLLM_HAVE_AVX2)
  if (cpu_kernel_path_(x)) return GeluFn::apply(x);
#endif
  return torch::gelu(x);
}

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
    c_proj = register_module("c_proj", torch::nn::Linear(torch::nn::LinearOptions(n_embd, n_embd).bias(cfg.bias)));
    resid_dropout = register_module("resid_dropout", torch::nn::Dropout(dropout));
    // upstream's `attn.bias` causal-mask buffer is not registered: SDPA's is_causal does
    // its job, and checkpoint/ drops or regenerates it (torch 1.x files have it, 2.x not)
  }
  torch::Tensor forward(const torch::Tensor &x, KVCache *cache) {
    const int64_t B = x.size(0), T = x.size(1), C = x.size(2), hs = C / n_head;
    auto qkv_all = linear_(c_attn, x);  // (B, T, 3C)
#if defined(CLLM_HAVE_AVX2)
    // dropout inside attention and head sizes off the 16-column tiles take libtorch's SDPA
    if (cache == nullptr && cpu_kernel_path_(qkv_all) && hs % 16 == 0 && !(is_training() && dropout > 0)) {
      return resid_dropout(linear_(c_proj, CausalAttentionFn::apply(qkv_all, n_head)));
    }
#endif
    auto qkv = qkv_all.split(n_embd, 2);
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
        return resid_dropout(linear_(c_proj, y.transpose(1, 2).contiguous().view({B, T, C})));
      }
      k = cache->k.narrow(2, 0, cache->len);  // (B, nh, len, hs)
      v = cache->v.narrow(2, 0, cache->len);
      causal = cache->len == T && T > 1;  // a single new query sees every cached key
    }
    auto y = sdpa_(q, k, v, is_training() ? dropout : 0.0, causal);  // (B, nh, T, hs)
    y = y.transpose(1, 2).contiguous().view({B, T, C});  // re-assemble all head outputs side by side
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
  torch::Tensor forward(const torch::Tensor &x) { return dropout(linear_(c_proj, gelu_(linear_(c_fc, x)))); }
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
TORCH_MODULE(Transformer);

struct GPTImpl : torch::nn::Module {
  GPTConfig cfg;
  Transformer transformer{nullptr};
  explicit GPTImpl(const GPTConfig &c) : cfg(c) {
    transformer = register_module("transformer", Transformer(cfg));
    // lm_head shares transformer.wte.weight ("weight tying", upstream model.py); it is
    // applied as F.linear in forward() so it is one parameter here, as in named_parameters()
  }

  // idx: (B, T) int64 at positions pos0 .. pos0+T-1 -> logits (B, T, V)
  torch::Tensor forward(const torch::Tensor &idx, int64_t pos0, std::vector<KVCache> *caches) {
    const int64_t T = idx.size(1);
    CLLM_CHECK(pos0 + T <= cfg.block_size, CLLM_ERR_ARGUMENT,
               "Cannot forward sequence of length " << pos0 + T << ", block size is only " << cfg.block_size);
    auto pos = torch::arange(pos0, pos0 + T, torch::TensorOptions().dtype(torch::kLong).device(idx.device()));
    auto tok_emb = transformer->wte(idx);  // (B, T, C)
    auto pos_emb = transformer->wpe(pos);  // (T, C)
    auto x = transformer->drop(tok_emb + pos_emb);
    for (size_t i = 0; i < transformer->blocks.size(); i++) {
      x = transformer->blocks[i](x, caches ? &(*caches)[i] : nullptr);
    }
    x = transformer->ln_f(x);
    return linear_(x, transformer->wte->weight, torch::Tensor());  // (B, T, V)
  }

  // nanoGPT _init_weights: N(0, 0.02) for Linear and Embedding weights, zero biases, and
  // "apply special scaled init to the residual projections, per GPT-2 paper"
  void init_weights() {
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
};
TORCH_MODULE(GPT);

// Autocast for bfloat16 / float16, scoped to one call (autocast state is thread-local).
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

// Per-sample random stream: xoshiro256** seeded through splitmix64 from (seed, index), so
// sample k draws the same numbers however the batch is cut.
struct SampleRng {
  uint64_t s[4];
  static uint64_t splitmix64(uint64_t &x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  SampleRng(uint64_t seed, uint64_t index) {
    uint64_t x = seed;
    uint64_t mixed = splitmix64(x) ^ (index * 0xd1b54a32d192ed03ULL);
    for (auto &w : s) w = splitmix64(mixed);
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    const uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
    return result;
  }
  double uniform() { return (next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

}  // namespace

// ----------------------------------------------------------------------------
// the handle

struct cllm_model {
  std::string error;
  GPTConfig cfg;
  torch::Device device{torch::kCPU};
  at::ScalarType amp_dtype = at::kFloat;  // autocast dtype; float32 = off
  GPT model{nullptr};
  std::vector<std::string> names;       // parameter names, named_parameters() order
  std::vector<torch::Tensor> params;
  // AdamW state, as torch.optim.AdamW (1.13 _single_tensor_adamw)
  bool has_optimizer = false;
  double weight_decay = 0.1, beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  std::vector<bool> decay;
  std::vector<torch::Tensor> exp_avg, exp_avg_sq;
  std::vector<double> step;
  std::vector<torch::Tensor> step_t;  // the same counts as float32 0-d tensors on the device (fused CUDA AdamW)
  // float16 dynamic loss scaling (torch.cuda.amp.GradScaler defaults)
  double loss_scale = 65536.0;
  int64_t good_steps = 0;
  // float32 matmuls on TF32 tensor cores (CUDA only; compat.h set_tf32)
  bool tf32 = true;
  // losses and gradient norms of train steps not read yet (0-d device tensors): a CUDA step
  // that returns nothing never waits for the GPU; cllm_train_flush reads them in one copy
  std::vector<torch::Tensor> pending_loss, pending_norm;

  int64_t index_of(const std::string &name) const {
    for (size_t i = 0; i < names.size(); i++)
      if (names[i] == name) return static_cast<int64_t>(i);
    return -1;
  }
};

namespace {

// Resolve a tensor name to (kind, parameter index): 0 param, 1 exp_avg, 2 exp_avg_sq, 3 step.
std::pair<int, int64_t> resolve_(const cllm_model *m, const std::string &name) {
  static const char *prefixes[] = {"", "exp_avg/", "exp_avg_sq/", "step/"};
  for (int kind = 3; kind >= 0; kind--) {
    std::string p = prefixes[kind];
    if (name.compare(0, p.size(), p) != 0) continue;
    if (kind > 0 && !m->has_optimizer) {
      CLLM_CHECK(false, CLLM_ERR_STATE, "Cannot access " << name << ": no optimizer state (call cllm_optimizer_new)");
    }
    int64_t i = m->index_of(name.substr(p.size()));
    CLLM_CHECK(i >= 0, CLLM_ERR_ARGUMENT, "Unknown tensor name: " << name);
    return {kind, i};
  }
  CLLM_CHECK(false, CLLM_ERR_ARGUMENT, "Unknown tensor name: " << name);
  return {0, 0};
}

// (B, T) int32 ids of the caller -> int64 on the device. To CUDA through pinned memory and an
// asynchronous copy, as nanoGPT's x.pin_memory().to(device, non_blocking=True): the caching
// host allocator keeps the pinned block until the copy has run, so nothing waits here.
torch::Tensor ids_to_device_(const int32_t *ids, int64_t B, int64_t T, const torch::Device &device) {
  auto host = torch::from_blob(const_cast<int32_t *>(ids), {B, T}, torch::kInt32);
  if (!device.is_cuda()) return host.to(torch::kLong).to(device);
  auto pinned = torch::empty({B, T}, torch::TensorOptions().dtype(torch::kInt32).pinned_memory(true));
  pinned.copy_(host);
  return pinned.to(device, torch::kInt32, /*non_blocking=*/true).to(torch::kLong);
}

// Per-call device settings (global in libtorch, so applied at the start of every call).
void apply_device_settings_(const cllm_model *m) {
  if (m->device.is_cuda()) cllm_compat::set_tf32(m->tf32);
}

torch::Tensor loss_of_(const torch::Tensor &logits, const torch::Tensor &targets) {
  namespace F = torch::nn::functional;
  return F::cross_entropy(logits.view({-1, logits.size(-1)}).to(torch::kFloat), targets.view({-1}),
                          F::CrossEntropyFuncOptions().ignore_index(-1));
}

}  // namespace

// ----------------------------------------------------------------------------
// the optimizer step: gradient clipping and AdamW, as upstream's train.py
// (clip_grad_norm_, then torch.optim.AdamW; float16 through a GradScaler)

namespace {

// float16: unscale the gradients; on inf/nan skip the step and halve the scale, as
// GradScaler. Returns whether the step goes ahead. Reads the GPU (one sync per step).
bool unscale_fp16_(cllm_model *m, std::vector<torch::Tensor> &grads) {
  bool finite = true;
  for (auto &g : grads) {
    g.mul_(1.0 / m->loss_scale);
    finite = finite && torch::isfinite(g).all().item<bool>();
  }
  if (!finite) {
    m->loss_scale *= 0.5;
    m->good_steps = 0;
    for (auto &p : m->params) p.mutable_grad() = torch::Tensor();
    return false;
  }
  if (++m->good_steps % 2000 == 0) m->loss_scale *= 2.0;
  return true;
}

#if CLLM_HAVE_FUSED_ADAMW
// CUDA: the whole step on the device with nothing read back. The total norm stays a
// tensor, clipping becomes the fused kernel's grad_scale (it divides every gradient by it:
// 1 / min(1, clip / (norm + 1e-6)) is clip_grad_norm_'s factor), and one at::_fused_adamw_
// launch per weight-decay group updates every tensor, as torch.optim.AdamW(fused=True).
torch::Tensor adamw_fused_cuda_(cllm_model *m, float lr, float grad_clip) {
  std::vector<torch::Tensor> norms;
  for (auto &p : m->params)
    if (p.grad().defined()) norms.push_back(p.grad().norm());
  auto norm = norms.empty() ? torch::zeros({}, torch::TensorOptions().device(m->device)) : torch::stack(norms).norm();
  c10::optional<torch::Tensor> scale;
  if (grad_clip > 0) scale = (norm.div(grad_clip) + 1e-6 / grad_clip).clamp_min(1.0).to(torch::kFloat);
  if (m->step_t.size() != m->params.size()) {
    m->step_t.clear();
    for (double s : m->step) m->step_t.push_back(torch::full({}, s, torch::TensorOptions().device(m->device)));
  }
  for (int decay = 0; decay < 2; decay++) {
    std::vector<torch::Tensor> ps, gs, ma, va, st;
    for (size_t i = 0; i < m->params.size(); i++) {
      if (!m->params[i].grad().defined() || m->decay[i] != (decay == 1)) continue;
      ps.push_back(m->params[i]), gs.push_back(m->params[i].grad()), ma.push_back(m->exp_avg[i]);
      va.push_back(m->exp_avg_sq[i]), st.push_back(m->step_t[i]);
      m->step[i] += 1.0;
    }
    if (ps.empty()) continue;
    for (auto &t : st) t.add_(1.0);  // torch.optim counts the step before the kernel reads it
    at::_fused_adamw_(ps, gs, ma, va, {}, st, lr, m->beta1, m->beta2, decay ? m->weight_decay : 0.0, m->eps,
                      /*amsgrad=*/false, /*maximize=*/false, scale, c10::nullopt);
  }
  for (auto &p : m->params) p.mutable_grad() = torch::Tensor();  // zero_grad(set_to_none=True)
  return norm;
}
#endif

// Clip and step. Returns the total gradient norm before clipping as a 0-d tensor (on the
// device for CUDA), NaN when a float16 step was skipped.
torch::Tensor optimizer_step_(cllm_model *m, float lr, float grad_clip) {
  std::vector<torch::Tensor> grads;
  for (auto &p : m->params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (m->amp_dtype == at::kHalf && !unscale_fp16_(m, grads)) {
    return torch::full({}, std::numeric_limits<float>::quiet_NaN());
  }
#if CLLM_HAVE_FUSED_ADAMW
  if (m->device.is_cuda()) return adamw_fused_cuda_(m, lr, grad_clip);
#endif
  m->step_t.clear();  // the device counts, if any, are stale from here on
  // on the CPU kernels' path, AdamW is one fused pass per tensor with clip_grad_norm_'s
  // scaling folded in; elsewhere clip_grad_norm_ scales the gradients first
  const bool fused = cpu_kernel_path_(m->params[0]);
  double norm;
  float coef = 1.0f;
  if (fused) {
    std::vector<torch::Tensor> norms;
    for (auto &g : grads) norms.push_back(g.norm());
    norm = norms.empty() ? 0.0 : torch::stack(norms).norm().item<double>();
    if (grad_clip > 0) coef = std::min(1.0f, static_cast<float>(grad_clip) / (static_cast<float>(norm) + 1e-6f));
  } else {
    norm = torch::nn::utils::clip_grad_norm_(m->params, grad_clip > 0 ? static_cast<double>(grad_clip)
                                                                      : std::numeric_limits<double>::infinity());
  }
  // AdamW, as torch 1.13 torch/optim/adamw.py _single_tensor_adamw
  for (size_t i = 0; i < m->params.size(); i++) {
    auto &p = m->params[i];
    if (!p.grad().defined()) continue;
    auto g = p.grad();
    const double s = m->step[i] += 1.0;
    const double bc1 = 1.0 - std::pow(m->beta1, s), bc2 = 1.0 - std::pow(m->beta2, s);
    if (fused) {
      adamw_fused_(p, g, m->exp_avg[i], m->exp_avg_sq[i],
                   {lr, static_cast<float>(m->beta1), static_cast<float>(m->beta2), static_cast<float>(m->eps),
                    m->decay[i] ? static_cast<float>(m->weight_decay) : 0.0f, static_cast<float>(bc1),
                    static_cast<float>(bc2), coef});
    } else {
      if (m->decay[i]) p.mul_(1.0 - lr * m->weight_decay);
      m->exp_avg[i].mul_(m->beta1).add_(g, 1.0 - m->beta1);
      m->exp_avg_sq[i].mul_(m->beta2).addcmul_(g, g, 1.0 - m->beta2);
      auto denom = (m->exp_avg_sq[i].sqrt() / std::sqrt(bc2)).add_(m->eps);
      p.addcdiv_(m->exp_avg[i], denom, -lr / bc1);
    }
    p.mutable_grad() = torch::Tensor();  // zero_grad(set_to_none=True), as upstream
  }
  return torch::full({}, norm, torch::kDouble);
}

}  // namespace

// ----------------------------------------------------------------------------
// the C ABI

extern "C" {

int32_t cllm_abi_version(void) { return CLLM_ABI_VERSION; }

int cllm_runtime_info(char *buf, int64_t cap) {
  return guard_(g_error, [&] {
    std::ostringstream os;
    bool cuda = torch::cuda::is_available();
    os << "{\"torch_version\":\"" << TORCH_VERSION_MAJOR << "." << TORCH_VERSION_MINOR << "." << TORCH_VERSION_PATCH
       << "\",\"cuda_available\":" << (cuda ? "true" : "false")
       << ",\"cuda_device_count\":" << (cuda ? torch::cuda::device_count() : 0)
       << ",\"cuda_version\":\"" << CLLM_CUDA_VERSION << "\""
       << ",\"num_threads\":" << at::get_num_threads() << ",\"cxx11_abi\":" << _GLIBCXX_USE_CXX11_ABI
#if TORCH_VERSION_MAJOR >= 2
       << ",\"sdpa\":\"at::scaled_dot_product_attention\""
#else
       << ",\"sdpa\":\"at::_scaled_dot_product_attention\""
#endif
       << ",\"cpu_kernels\":\"" << (cpu_kernels_enabled_() ? "avx2" : cpu_kernels_available_() ? "off" : "unavailable")
       << "\"}";
    std::string s = os.str();
    CLLM_CHECK(buf != nullptr && cap > static_cast<int64_t>(s.size()), CLLM_ERR_ARGUMENT,
               "runtime info needs " << s.size() + 1 << " bytes");
    std::memcpy(buf, s.c_str(), s.size() + 1);
  });
}

int cllm_set_num_threads(int32_t n) {
  return guard_(g_error, [&] {
    CLLM_CHECK(n > 0, CLLM_ERR_ARGUMENT, "thread count must be positive, got " << n);
    g_num_threads = n;
  });
}

int cllm_model_new(const char *config_json, cllm_model **out) {
  if (out == nullptr) return CLLM_ERR_ARGUMENT;
  auto *m = new (std::nothrow) cllm_model();
  *out = m;
  if (m == nullptr) return CLLM_ERR_INTERNAL;
  return guard_(m->error, [&] {
    auto j = parse_flat_json_(config_json);
    GPTConfig &c = m->cfg;
    c.n_layer = static_cast<int64_t>(num_(j, "n_layer", 12));
    c.n_head = static_cast<int64_t>(num_(j, "n_head", 12));
    c.n_embd = static_cast<int64_t>(num_(j, "n_embd", 768));
    c.block_size = static_cast<int64_t>(num_(j, "block_size", 1024));
    c.vocab_size = static_cast<int64_t>(num_(j, "vocab_size", 371));
    c.dropout = num_(j, "dropout", 0.0);
    c.bias = flag_(j, "bias", true);
    CLLM_CHECK(c.n_layer > 0 && c.n_head > 0 && c.n_embd > 0 && c.block_size > 0 && c.vocab_size > 0,
               CLLM_ERR_ARGUMENT, "model sizes must be positive");
    CLLM_CHECK(c.n_embd % c.n_head == 0, CLLM_ERR_ARGUMENT,
               "n_embd " << c.n_embd << " is not divisible by n_head " << c.n_head);
    std::string device = text_(j, "device", "cpu");
    std::string dtype = text_(j, "dtype", "float32");
    if (dtype == "bfloat16") m->amp_dtype = at::kBFloat16;
    else if (dtype == "float16") m->amp_dtype = at::kHalf;
    else CLLM_CHECK(dtype == "float32", CLLM_ERR_ARGUMENT, "dtype must be float32, bfloat16 or float16, got " << dtype);
    m->device = torch::Device(device);
    m->tf32 = flag_(j, "tf32", true);
    CLLM_CHECK(!m->device.is_cuda() || torch::cuda::is_available(), CLLM_ERR_ARGUMENT,
               "device " << device << " requested but this libtorch sees no CUDA device (a CPU-only build?)");
    CLLM_CHECK(m->amp_dtype != at::kHalf || m->device.is_cuda(), CLLM_ERR_ARGUMENT,
               "dtype float16 needs device cuda; use bfloat16 or float32 on cpu");
    auto seed = static_cast<uint64_t>(num_(j, "seed", 1337));
    torch::manual_seed(seed);
    if (m->device.is_cuda()) torch::cuda::manual_seed_all(seed);
    m->model = GPT(c);
    m->model->init_weights();
    m->model->to(m->device);
    for (auto &kv : m->model->named_parameters()) {
      m->names.push_back(kv.key());
      m->params.push_back(kv.value());
    }
  });
}

void cllm_model_free(cllm_model *m) { delete m; }

const char *cllm_last_error(const cllm_model *m) { return m ? m->error.c_str() : g_error.c_str(); }

int cllm_tensor_count(cllm_model *m, int32_t *n) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard_(m->error, [&] {
    *n = static_cast<int32_t>(m->params.size() * (m->has_optimizer ? 4 : 1));
  });
}

int cllm_tensor_info(cllm_model *m, int32_t i, char *name, int64_t name_cap, int64_t *shape, int32_t *ndim) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard_(m->error, [&] {
    const int64_t P = static_cast<int64_t>(m->params.size());
    CLLM_CHECK(i >= 0 && i < P * (m->has_optimizer ? 4 : 1), CLLM_ERR_ARGUMENT, "tensor index " << i << " out of range");
    static const char *prefixes[] = {"", "exp_avg/", "exp_avg_sq/", "step/"};
    const int kind = static_cast<int>(i / P);
    const int64_t k = i % P;
    std::string full = std::string(prefixes[kind]) + m->names[k];
    CLLM_CHECK(name_cap > static_cast<int64_t>(full.size()), CLLM_ERR_ARGUMENT, "name buffer too small for " << full);
    std::memcpy(name, full.c_str(), full.size() + 1);
    if (kind == 3) {
      *ndim = 0;  // torch 1.13 keeps AdamW's step as a 0-d float tensor
      return;
    }
    auto sizes = m->params[k].sizes();
    CLLM_CHECK(sizes.size() <= 8, CLLM_ERR_INTERNAL, "tensor has more than 8 dims");
    *ndim = static_cast<int32_t>(sizes.size());
    for (size_t d = 0; d < sizes.size(); d++) shape[d] = sizes[d];
  });
}

int cllm_tensor_read(cllm_model *m, const char *name, float *out, int64_t numel) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard_(m->error, [&] {
    auto [kind, i] = resolve_(m, name);
    if (kind == 3) {
      CLLM_CHECK(numel == 1, CLLM_ERR_ARGUMENT, name << " holds 1 value, buffer holds " << numel);
      out[0] = static_cast<float>(m->step[i]);
      return;
    }
    const torch::Tensor &t = kind == 0 ? m->params[i] : kind == 1 ? m->exp_avg[i] : m->exp_avg_sq[i];
    CLLM_CHECK(t.numel() == numel, CLLM_ERR_ARGUMENT, name << " holds " << t.numel() << " values, buffer holds " << numel);
    auto cpu = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    std::memcpy(out, cpu.data_ptr<float>(), numel * sizeof(float));
  });
}

int cllm_tensor_write(cllm_model *m, const char *name, const float *data, int64_t numel) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard_(m->error, [&] {
    auto [kind, i] = resolve_(m, name);
    if (kind == 3) {
      CLLM_CHECK(numel == 1, CLLM_ERR_ARGUMENT, name << " holds 1 value, buffer holds " << numel);
      m->step[i] = data[0];
      m->step_t.clear();  // rebuilt from m->step at the next fused CUDA step
      return;
    }
    torch::Tensor &t = kind == 0 ? m->params[i] : kind == 1 ? m->exp_avg[i] : m->exp_avg_sq[i];
    CLLM_CHECK(t.numel() == numel, CLLM_ERR_ARGUMENT, name << " holds " << t.numel() << " values, buffer holds " << numel);
    torch::NoGradGuard ng;
    t.copy_(torch::from_blob(const_cast<float *>(data), t.sizes(), torch::kFloat));
  });
}

int cllm_forward(cllm_model *m, const int32_t *idx, const int32_t *targets, int64_t B, int64_t T, float *logits,
                 float *loss) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard_(m->error, [&] {
    CLLM_CHECK(B > 0 && T > 0, CLLM_ERR_ARGUMENT, "B and T must be positive");
    torch::NoGradGuard ng;
    apply_device_settings_(m);
    AutocastGuard ac(m->device, m->amp_dtype);
    m->model->eval();
    auto x = ids_to_device_(idx, B, T, m->device);
    auto out = m->model->forward(x, 0, nullptr);  // (B, T, V)
    if (loss) {
      *loss = targets ? loss_of_(out, ids_to_device_(targets, B, T, m->device)).item<float>()
                      : std::numeric_limits<float>::quiet_NaN();
    }
    if (logits) {
      auto cpu = out.to(torch::kCPU, torch::kFloat).contiguous();
      std::memcpy(logits, cpu.data_ptr<float>(), cpu.numel() * sizeof(float));
    }
  });
}

int cllm_optimizer_new(cllm_model *m, const char *options_json) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard_(m->error, [&] {
    auto j = parse_flat_json_(options_json);
    m->weight_decay = num_(j, "weight_decay", 0.1);
    m->beta1 = num_(j, "beta1", 0.9);
    m->beta2 = num_(j, "beta2", 0.95);
    m->eps = num_(j, "eps", 1e-8);
    m->decay.clear(), m->exp_avg.clear(), m->exp_avg_sq.clear(), m->step.clear();
    for (size_t i = 0; i < m->params.size(); i++) {
      // upstream 8e81a86 configure_optimizers: decay Linear weights only; biases, LayerNorm
      // and Embedding weights (so the tied lm_head too) are not decayed
      const std::string &n = m->names[i];
      bool linear_weight = n.size() > 7 && n.compare(n.size() - 7, 7, ".weight") == 0 &&
                           n.find(".ln_") == std::string::npos && n.find(".wte.") == std::string::npos &&
                           n.find(".wpe.") == std::string::npos;
      m->decay.push_back(linear_weight);
      m->exp_avg.push_back(torch::zeros_like(m->params[i]));
      m->exp_avg_sq.push_back(torch::zeros_like(m->params[i]));
      m->step.push_back(0.0);
    }
    m->step_t.clear();
    m->pending_loss.clear(), m->pending_norm.clear();
    m->has_optimizer = true;
    m->loss_scale = 65536.0;
    m->good_steps = 0;
  });
}

int cllm_train_step(cllm_model *m, const int32_t *x, const int32_t *y, int64_t micro, int64_t B, int64_t T,
                    float lr, float grad_clip, float *loss, float *grad_norm) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard_(m->error, [&] {
    CLLM_CHECK(m->has_optimizer, CLLM_ERR_STATE, "Cannot train: no optimizer (call cllm_optimizer_new first)");
    CLLM_CHECK(micro > 0 && B > 0 && T > 0, CLLM_ERR_ARGUMENT, "micro, B and T must be positive");
    CLLM_CHECK((loss == nullptr) == (grad_norm == nullptr), CLLM_ERR_ARGUMENT,
               "loss and grad_norm must both be given or both be NULL");
    apply_device_settings_(m);
    m->model->train();
    torch::Tensor total = torch::zeros({}, torch::TensorOptions().device(m->device));
    for (int64_t s = 0; s < micro; s++) {
      torch::Tensor l;
      {
        AutocastGuard ac(m->device, m->amp_dtype);
        auto xs = ids_to_device_(x + s * B * T, B, T, m->device);
        auto ys = ids_to_device_(y + s * B * T, B, T, m->device);
        // scale the loss to account for gradient accumulation
        l = loss_of_(m->model->forward(xs, 0, nullptr), ys) / static_cast<double>(micro);
      }
      total += l.detach();
      (m->amp_dtype == at::kHalf ? l * m->loss_scale : l).backward();
    }
    torch::NoGradGuard ng;
    torch::Tensor norm = optimizer_step_(m, lr, grad_clip);  // 0-d; NaN for a skipped float16 step
    if (loss != nullptr) {
      *loss = total.item<float>();
      *grad_norm = norm.item<float>();
    } else {
      m->pending_loss.push_back(total);
      m->pending_norm.push_back(norm);
    }
  });
}

int cllm_train_flush(cllm_model *m, float *losses, float *grad_norms, int64_t cap, int64_t *n) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard_(m->error, [&] {
    const int64_t k = static_cast<int64_t>(m->pending_loss.size());
    CLLM_CHECK(k <= cap, CLLM_ERR_ARGUMENT, k << " pending train steps, buffers hold " << cap);
    *n = k;
    if (k == 0) return;
    // one device-to-host copy for all of them
    auto both = torch::stack({torch::stack(m->pending_loss).to(torch::kFloat), torch::stack(m->pending_norm).to(torch::kFloat)})
                    .to(torch::kCPU)
                    .contiguous();
    std::memcpy(losses, both.data_ptr<float>(), k * sizeof(float));
    std::memcpy(grad_norms, both.data_ptr<float>() + k, k * sizeof(float));
    m->pending_loss.clear();
    m->pending_norm.clear();
  });
}

int cllm_generate(cllm_model *m, const int32_t *prompt, int64_t P, int64_t n, int64_t first_index,
                  const char *options_json, int32_t *out, int32_t *lengths) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard_(m->error, [&] {
    auto j = parse_flat_json_(options_json);
    const auto seed = static_cast<uint64_t>(num_(j, "seed", 1337));
    const auto max_new = static_cast<int64_t>(num_(j, "max_new_tokens", 1000));
    const double temperature = num_(j, "temperature", 1.0);
    const auto top_k = static_cast<int64_t>(num_(j, "top_k", 0));
    const auto stop_id = static_cast<int64_t>(num_(j, "stop_id", -1));
    CLLM_CHECK(P > 0 && n > 0 && max_new > 0, CLLM_ERR_ARGUMENT, "prompt length, n and max_new_tokens must be positive");
    CLLM_CHECK(temperature > 0, CLLM_ERR_ARGUMENT, "temperature must be positive, got " << temperature);
    const int64_t bs = m->cfg.block_size, V = m->cfg.vocab_size;
    const int64_t nh = m->cfg.n_head, hs = m->cfg.n_embd / nh;
    torch::NoGradGuard ng;
    apply_device_settings_(m);
    AutocastGuard ac(m->device, m->amp_dtype);
    m->model->eval();

    // host-side sequences, needed when they outgrow the block and the window slides
    std::vector<std::vector<int64_t>> seqs(n, std::vector<int64_t>(prompt, prompt + P));
    std::vector<SampleRng> rngs;
    for (int64_t i = 0; i < n; i++) rngs.emplace_back(seed, static_cast<uint64_t>(first_index + i));
    // rows[r]: the sample in batch row r, -1 once it has finished (CUDA keeps such rows until
    // a quarter of the batch is dead: dropping rows copies the whole KV cache, and a batch
    // of a thousand samples would otherwise copy it at almost every step)
    std::vector<int64_t> prev(n, -1), rows(n);
    for (int64_t i = 0; i < n; i++) rows[i] = i, lengths[i] = 0;
    const bool lazy_drop = m->device.is_cuda();

    // upstream crops the context to the last block_size tokens
    const int64_t P0 = std::min(P, bs);
    auto opts = torch::TensorOptions().device(m->device);
    // the cache holds what attention reads: the autocast dtype on CUDA
    if (m->device.is_cuda() && m->amp_dtype != at::kFloat) opts = opts.dtype(m->amp_dtype);
    const int64_t cap = std::min(bs, P0 + max_new);  // cache length ever needed
    std::vector<KVCache> caches(m->cfg.n_layer);
    for (auto &c : caches) {
      c.k = torch::zeros({n, nh, cap, hs}, opts);  // (n, nh, cap, hs)
      c.v = torch::zeros({n, nh, cap, hs}, opts);
    }
    auto idx = ids_to_device_(prompt + (P - P0), 1, P0, m->device).expand({n, P0}).contiguous();
    auto logits = m->model->forward(idx, 0, &caches).select(1, P0 - 1);  // (n, V)
    int64_t ctx = P0;  // tokens in the cache

    for (int64_t t = 0; t < max_new; t++) {
      const int64_t nR = static_cast<int64_t>(rows.size());
      auto scaled = logits.to(torch::kFloat) / temperature;  // (nR, V)
      torch::Tensor probs, choices;
      if (top_k > 0 && top_k < V) {
        // upstream masks logits below the k-th largest to -inf; softmax over the top k is
        // the same distribution
        auto tk = scaled.topk(top_k, -1);
        probs = torch::softmax(std::get<0>(tk), -1).to(torch::kCPU, torch::kDouble).contiguous();  // (nR, k)
        choices = std::get<1>(tk).to(torch::kCPU, torch::kLong).contiguous();
      } else {
        probs = torch::softmax(scaled, -1).to(torch::kCPU, torch::kDouble).contiguous();  // (nR, V)
      }
      const int64_t K = probs.size(1);
      const double *pp = probs.data_ptr<double>();
      const int64_t *cc = choices.defined() ? choices.data_ptr<int64_t>() : nullptr;
      std::vector<int64_t> next_ids(nR, 0);
      int64_t alive = 0;
      for (int64_t r = 0; r < nR; r++) {
        const int64_t s = rows[r];
        if (s < 0) continue;
        // inverse-CDF draw from this sample's own stream
        double u = rngs[s].uniform(), acc = 0.0;
        int64_t c = K - 1;
        for (int64_t q = 0; q < K; q++) {
          acc += pp[r * K + q];
          if (u < acc) { c = q; break; }
        }
        while (pp[r * K + c] == 0.0 && c > 0) c--;  // never pick a zero-probability tail by rounding
        const int64_t tok = cc ? cc[r * K + c] : c;
        out[s * max_new + lengths[s]] = static_cast<int32_t>(tok);
        lengths[s]++;
        seqs[s].push_back(tok);
        next_ids[r] = tok;
        // a sequence of two newlines indicates the end of a CIF file: upstream's generate
        // appends the second newline, then stops
        const bool stop = stop_id >= 0 && prev[s] == stop_id && tok == stop_id;
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
        auto sel = torch::tensor(keep, torch::kLong).to(m->device);
        for (auto &c : caches) {
          c.k = c.k.index_select(0, sel);
          c.v = c.v.index_select(0, sel);
        }
        rows.swap(r2);
        next_ids.swap(n2);
      }
      const int64_t nK = static_cast<int64_t>(rows.size());
      if (ctx < bs) {
        auto step_ids = torch::tensor(next_ids, torch::kLong).view({nK, 1}).to(m->device);
        logits = m->model->forward(step_ids, ctx, &caches).select(1, 0);
        ctx++;
      } else {
        // the window slides: positions shift, so the cache is useless; recompute the last
        // block_size tokens as upstream does at every step (a finished row reads zeros)
        std::vector<int64_t> window;
        for (auto s : rows) {
          if (s >= 0) window.insert(window.end(), seqs[s].end() - bs, seqs[s].end());
          else window.insert(window.end(), bs, 0);
        }
        auto w = torch::tensor(window, torch::kLong).view({nK, bs}).to(m->device);
        logits = m->model->forward(w, 0, nullptr).select(1, bs - 1);
      }
    }
  });
}

}  // extern "C"
