/*
 * adamw.cpp: the optimizer step of adamw.h.
 */
#include "adamw.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "compat.h"
#include "cpu_fastpath.h"

namespace cllm {

namespace {

// float16: unscale the gradients; on inf/nan skip the step and halve the scale, as
// GradScaler. Returns whether the step goes ahead. Reads the GPU (one sync per step).
bool unscale_fp16_(AdamW &o, std::vector<torch::Tensor> &params, std::vector<torch::Tensor> &grads) {
  bool finite = true;
  for (auto &g : grads) {
    g.mul_(1.0 / o.loss_scale);
    finite = finite && torch::isfinite(g).all().item<bool>();
  }
  if (!finite) {
    o.loss_scale *= 0.5;
    o.good_steps = 0;
    for (auto &p : params) p.mutable_grad() = torch::Tensor();
    return false;
  }
  if (++o.good_steps % 2000 == 0) o.loss_scale *= 2.0;
  return true;
}

#if CLLM_HAVE_FUSED_ADAMW
// CUDA: the whole step on the device with nothing read back. The total norm stays a
// tensor, clipping becomes the fused kernel's grad_scale (it divides every gradient by it:
// 1 / min(1, clip / (norm + 1e-6)) is clip_grad_norm_'s factor), and one at::_fused_adamw_
// launch per weight-decay group updates every tensor, as torch.optim.AdamW(fused=True).
torch::Tensor adamw_fused_cuda_(AdamW &o, std::vector<torch::Tensor> &params, float lr, float grad_clip,
                                const torch::Device &device) {
  std::vector<torch::Tensor> norms;
  for (auto &p : params)
    if (p.grad().defined()) norms.push_back(p.grad().norm());
  auto norm = norms.empty() ? torch::zeros({}, torch::TensorOptions().device(device)) : torch::stack(norms).norm();
  c10::optional<torch::Tensor> scale;
  if (grad_clip > 0) scale = (norm.div(grad_clip) + 1e-6 / grad_clip).clamp_min(1.0).to(torch::kFloat);
  if (o.step_t.size() != params.size()) {
    o.step_t.clear();
    for (double s : o.step) o.step_t.push_back(torch::full({}, s, torch::TensorOptions().device(device)));
  }
  for (int decay = 0; decay < 2; decay++) {
    std::vector<torch::Tensor> ps, gs, ma, va, st;
    for (size_t i = 0; i < params.size(); i++) {
      if (!params[i].grad().defined() || o.decay[i] != (decay == 1)) continue;
      ps.push_back(params[i]), gs.push_back(params[i].grad()), ma.push_back(o.exp_avg[i]);
      va.push_back(o.exp_avg_sq[i]), st.push_back(o.step_t[i]);
      o.step[i] += 1.0;
    }
    if (ps.empty()) continue;
    for (auto &t : st) t.add_(1.0);  // torch.optim counts the step before the kernel reads it
    at::_fused_adamw_(ps, gs, ma, va, {}, st, lr, o.beta1, o.beta2, decay ? o.weight_decay : 0.0, o.eps,
                      /*amsgrad=*/false, /*maximize=*/false, scale, c10::nullopt);
  }
  for (auto &p : params) p.mutable_grad() = torch::Tensor();  // zero_grad(set_to_none=True)
  return norm;
}
#endif

}  // namespace

void AdamW::reset(const std::vector<std::string> &names, const std::vector<torch::Tensor> &params) {
  decay.clear(), exp_avg.clear(), exp_avg_sq.clear(), step.clear();
  for (size_t i = 0; i < params.size(); i++) {
    // upstream 8e81a86 configure_optimizers: decay Linear weights only; biases, LayerNorm
    // and Embedding weights (so the tied lm_head too) are not decayed
    const std::string &n = names[i];
    bool linear_weight = n.size() > 7 && n.compare(n.size() - 7, 7, ".weight") == 0 &&
                         n.find(".ln_") == std::string::npos && n.find(".wte.") == std::string::npos &&
                         n.find(".wpe.") == std::string::npos;
    decay.push_back(linear_weight);
    exp_avg.push_back(torch::zeros_like(params[i]));
    exp_avg_sq.push_back(torch::zeros_like(params[i]));
    step.push_back(0.0);
  }
  step_t.clear();
  loss_scale = 65536.0;
  good_steps = 0;
}

torch::Tensor AdamW::update(std::vector<torch::Tensor> &params, float lr, float grad_clip, const torch::Device &device,
                            at::ScalarType amp_dtype) {
  std::vector<torch::Tensor> grads;
  for (auto &p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (amp_dtype == at::kHalf && !unscale_fp16_(*this, params, grads)) {
    return torch::full({}, std::numeric_limits<float>::quiet_NaN());
  }
#if CLLM_HAVE_FUSED_ADAMW
  if (device.is_cuda()) return adamw_fused_cuda_(*this, params, lr, grad_clip, device);
#endif
  step_t.clear();  // the device counts, if any, are stale from here on
  // on the CPU kernels' path, AdamW is one fused pass per tensor with clip_grad_norm_'s
  // scaling folded in; elsewhere clip_grad_norm_ scales the gradients first
  const bool fused = ops::cpu_kernel_path(params[0]);
  double norm;
  float coef = 1.0f;
  if (fused) {
    std::vector<torch::Tensor> norms;
    for (auto &g : grads) norms.push_back(g.norm());
    norm = norms.empty() ? 0.0 : torch::stack(norms).norm().item<double>();
    if (grad_clip > 0) coef = std::min(1.0f, static_cast<float>(grad_clip) / (static_cast<float>(norm) + 1e-6f));
  } else {
    norm = torch::nn::utils::clip_grad_norm_(params, grad_clip > 0 ? static_cast<double>(grad_clip)
                                                                    : std::numeric_limits<double>::infinity());
  }
  // AdamW, as torch 1.13 torch/optim/adamw.py _single_tensor_adamw
  for (size_t i = 0; i < params.size(); i++) {
    auto &p = params[i];
    if (!p.grad().defined()) continue;
    auto g = p.grad();
    const double s = step[i] += 1.0;
    const double bc1 = 1.0 - std::pow(beta1, s), bc2 = 1.0 - std::pow(beta2, s);
    if (fused) {
      ops::adamw_fused(p, g, exp_avg[i], exp_avg_sq[i],
                       {lr, static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(eps),
                        decay[i] ? static_cast<float>(weight_decay) : 0.0f, static_cast<float>(bc1),
                        static_cast<float>(bc2), coef});
    } else {
      if (decay[i]) p.mul_(1.0 - lr * weight_decay);
      exp_avg[i].mul_(beta1).add_(g, 1.0 - beta1);
      exp_avg_sq[i].mul_(beta2).addcmul_(g, g, 1.0 - beta2);
      auto denom = (exp_avg_sq[i].sqrt() / std::sqrt(bc2)).add_(eps);
      p.addcdiv_(exp_avg[i], denom, -lr / bc1);
    }
    p.mutable_grad() = torch::Tensor();  // zero_grad(set_to_none=True), as upstream
  }
  return torch::full({}, norm, torch::kDouble);
}

}  // namespace cllm
