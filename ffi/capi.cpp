/*
 * capi.cpp: the C ABI of crystallm.h, and nothing else: each function checks its
 * arguments, then runs through cllm::guard() (runtime.h) on the worker thread, where it
 * calls the GPT (gpt.h), the optimizer step (adamw.h) and the C++ runtime; no C++
 * exception crosses.
 */
// defines: TORCH_VERSION_MAJOR / MINOR / PATCH
#include <torch/version.h>

#include <cstring>
#include <limits>
#include <new>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "adamw.h"
#include "compat.h"
#include "cpu_fastpath.h"
#include "crystallm.h"
#include "gpt.h"
#include "runtime.h"

using namespace cllm;

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
  AdamW opt;
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

std::string g_error;  // message of the last handle-less call

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

// Per-call device settings (global in libtorch, so applied at the start of every call).
void apply_device_settings_(const cllm_model *m) {
  if (m->device.is_cuda()) cllm_compat::set_tf32(m->tf32);
}

}  // namespace

// ----------------------------------------------------------------------------
// the C ABI

extern "C" {

int32_t cllm_abi_version(void) { return CLLM_ABI_VERSION; }

int cllm_runtime_info(char *buf, int64_t cap) {
  return guard(g_error, [&] {
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
       << ",\"cpu_kernels\":\"" << ops::cpu_kernels() << "\"}";
    std::string s = os.str();
    CLLM_CHECK(buf != nullptr && cap > static_cast<int64_t>(s.size()), CLLM_ERR_ARGUMENT,
               "runtime info needs " << s.size() + 1 << " bytes");
    std::memcpy(buf, s.c_str(), s.size() + 1);
  });
}

int cllm_set_num_threads(int32_t n) {
  return guard(g_error, [&] {
    CLLM_CHECK(n > 0, CLLM_ERR_ARGUMENT, "thread count must be positive, got " << n);
    set_num_threads(n);
  });
}

int cllm_model_new(const char *config_json, cllm_model **out) {
  if (out == nullptr) return CLLM_ERR_ARGUMENT;
  auto *m = new (std::nothrow) cllm_model();
  *out = m;
  if (m == nullptr) return CLLM_ERR_INTERNAL;
  return guard(m->error, [&] {
    auto j = parse_flat_json(config_json);
    GPTConfig &c = m->cfg;
    c.n_layer = static_cast<int64_t>(num(j, "n_layer", 12));
    c.n_head = static_cast<int64_t>(num(j, "n_head", 12));
    c.n_embd = static_cast<int64_t>(num(j, "n_embd", 768));
    c.block_size = static_cast<int64_t>(num(j, "block_size", 1024));
    c.vocab_size = static_cast<int64_t>(num(j, "vocab_size", 371));
    c.dropout = num(j, "dropout", 0.0);
    c.bias = flag(j, "bias", true);
    CLLM_CHECK(c.n_layer > 0 && c.n_head > 0 && c.n_embd > 0 && c.block_size > 0 && c.vocab_size > 0,
               CLLM_ERR_ARGUMENT, "model sizes must be positive");
    CLLM_CHECK(c.n_embd % c.n_head == 0, CLLM_ERR_ARGUMENT,
               "n_embd " << c.n_embd << " is not divisible by n_head " << c.n_head);
    std::string device = text(j, "device", "cpu");
    std::string dtype = text(j, "dtype", "float32");
    if (dtype == "bfloat16") m->amp_dtype = at::kBFloat16;
    else if (dtype == "float16") m->amp_dtype = at::kHalf;
    else CLLM_CHECK(dtype == "float32", CLLM_ERR_ARGUMENT, "dtype must be float32, bfloat16 or float16, got " << dtype);
    m->device = torch::Device(device);
    m->tf32 = flag(j, "tf32", true);
    CLLM_CHECK(!m->device.is_cuda() || torch::cuda::is_available(), CLLM_ERR_ARGUMENT,
               "device " << device << " requested but this libtorch sees no CUDA device (a CPU-only build?)");
    CLLM_CHECK(m->amp_dtype != at::kHalf || m->device.is_cuda(), CLLM_ERR_ARGUMENT,
               "dtype float16 needs device cuda; use bfloat16 or float32 on cpu");
    auto seed = static_cast<uint64_t>(num(j, "seed", 1337));
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
  return guard(m->error, [&] {
    *n = static_cast<int32_t>(m->params.size() * (m->has_optimizer ? 4 : 1));
  });
}

int cllm_tensor_info(cllm_model *m, int32_t i, char *name, int64_t name_cap, int64_t *shape, int32_t *ndim) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard(m->error, [&] {
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
  return guard(m->error, [&] {
    auto [kind, i] = resolve_(m, name);
    if (kind == 3) {
      CLLM_CHECK(numel == 1, CLLM_ERR_ARGUMENT, name << " holds 1 value, buffer holds " << numel);
      out[0] = static_cast<float>(m->opt.step[i]);
      return;
    }
    const torch::Tensor &t = kind == 0 ? m->params[i] : kind == 1 ? m->opt.exp_avg[i] : m->opt.exp_avg_sq[i];
    CLLM_CHECK(t.numel() == numel, CLLM_ERR_ARGUMENT, name << " holds " << t.numel() << " values, buffer holds " << numel);
    auto cpu = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    std::memcpy(out, cpu.data_ptr<float>(), numel * sizeof(float));
  });
}

int cllm_tensor_write(cllm_model *m, const char *name, const float *data, int64_t numel) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard(m->error, [&] {
    auto [kind, i] = resolve_(m, name);
    if (kind == 3) {
      CLLM_CHECK(numel == 1, CLLM_ERR_ARGUMENT, name << " holds 1 value, buffer holds " << numel);
      m->opt.step[i] = data[0];
      m->opt.step_t.clear();  // rebuilt from m->opt.step at the next fused CUDA step
      return;
    }
    torch::Tensor &t = kind == 0 ? m->params[i] : kind == 1 ? m->opt.exp_avg[i] : m->opt.exp_avg_sq[i];
    CLLM_CHECK(t.numel() == numel, CLLM_ERR_ARGUMENT, name << " holds " << t.numel() << " values, buffer holds " << numel);
    torch::NoGradGuard ng;
    t.copy_(torch::from_blob(const_cast<float *>(data), t.sizes(), torch::kFloat));
  });
}

int cllm_forward(cllm_model *m, const int32_t *idx, const int32_t *targets, int64_t B, int64_t T, float *logits,
                 float *loss) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard(m->error, [&] {
    CLLM_CHECK(B > 0 && T > 0, CLLM_ERR_ARGUMENT, "B and T must be positive");
    torch::NoGradGuard ng;
    apply_device_settings_(m);
    AutocastGuard ac(m->device, m->amp_dtype);
    m->model->eval();
    auto x = ids_to_device(idx, B, T, m->device);
    auto out = m->model->forward(x, 0, nullptr);  // (B, T, V)
    if (loss) {
      *loss = targets ? loss_of(out, ids_to_device(targets, B, T, m->device)).item<float>()
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
  return guard(m->error, [&] {
    auto j = parse_flat_json(options_json);
    m->opt.weight_decay = num(j, "weight_decay", 0.1);
    m->opt.beta1 = num(j, "beta1", 0.9);
    m->opt.beta2 = num(j, "beta2", 0.95);
    m->opt.eps = num(j, "eps", 1e-8);
    m->opt.reset(m->names, m->params);
    m->pending_loss.clear(), m->pending_norm.clear();
    m->has_optimizer = true;
  });
}

int cllm_train_step(cllm_model *m, const int32_t *x, const int32_t *y, int64_t micro, int64_t B, int64_t T,
                    float lr, float grad_clip, float *loss, float *grad_norm) {
  if (!m) return CLLM_ERR_ARGUMENT;
  return guard(m->error, [&] {
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
        auto xs = ids_to_device(x + s * B * T, B, T, m->device);
        auto ys = ids_to_device(y + s * B * T, B, T, m->device);
        // scale the loss to account for gradient accumulation
        l = loss_of(m->model->forward(xs, 0, nullptr), ys) / static_cast<double>(micro);
      }
      total += l.detach();
      (m->amp_dtype == at::kHalf ? l * m->opt.loss_scale : l).backward();
    }
    torch::NoGradGuard ng;
    // 0-d; NaN for a skipped float16 step
    torch::Tensor norm = m->opt.update(m->params, lr, grad_clip, m->device, m->amp_dtype);
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
  return guard(m->error, [&] {
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
  return guard(m->error, [&] {
    auto j = parse_flat_json(options_json);
    GenerateOptions o;
    o.seed = static_cast<uint64_t>(num(j, "seed", 1337));
    o.max_new_tokens = static_cast<int64_t>(num(j, "max_new_tokens", 1000));
    o.temperature = num(j, "temperature", 1.0);
    o.top_k = static_cast<int64_t>(num(j, "top_k", 0));
    o.stop_id = static_cast<int64_t>(num(j, "stop_id", -1));
    CLLM_CHECK(P > 0 && n > 0 && o.max_new_tokens > 0, CLLM_ERR_ARGUMENT,
               "prompt length, n and max_new_tokens must be positive");
    CLLM_CHECK(o.temperature > 0, CLLM_ERR_ARGUMENT, "temperature must be positive, got " << o.temperature);
    torch::NoGradGuard ng;
    apply_device_settings_(m);
    AutocastGuard ac(m->device, m->amp_dtype);
    m->model->eval();
    m->model->generate(prompt, P, n, first_index, o, m->device, m->amp_dtype, out, lengths);
  });
}

}  // extern "C"
