/*
 * adamw.h: the optimizer step of training, as upstream's train.py: gradient clipping
 * (clip_grad_norm_), then torch.optim.AdamW (torch 1.13 _single_tensor_adamw; on CUDA
 * with torch 2.x one fused kernel launch per weight-decay group, as AdamW(fused=True)),
 * and for float16 a GradScaler's dynamic loss scale.
 */
#ifndef CLLM_ADAMW_H
#define CLLM_ADAMW_H

#include <torch/torch.h>

#include <string>
#include <vector>

namespace cllm {

/** AdamW state of a list of parameters, named as torch.optim.AdamW keeps it. */
struct AdamW {
  double weight_decay = 0.1, beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  std::vector<bool> decay;  // per parameter: in the weight-decay group
  std::vector<torch::Tensor> exp_avg, exp_avg_sq;
  std::vector<double> step;
  std::vector<torch::Tensor> step_t;  // the same counts as float32 0-d tensors on the device (fused CUDA AdamW)
  // float16 dynamic loss scaling (torch.cuda.amp.GradScaler defaults)
  double loss_scale = 65536.0;
  int64_t good_steps = 0;

  /**
   * Zero state for params (named_parameters() order), with upstream's weight-decay groups
   * (Linear weights only); the hyperparameters are kept.
   */
  void reset(const std::vector<std::string> &names, const std::vector<torch::Tensor> &params);

  /**
   * Clip the gradients of params to grad_clip (0 = no clipping) and take one step at lr;
   * gradients are reset to none after. amp_dtype float16 unscales by loss_scale first and
   * skips the step on inf/NaN. Returns the total gradient norm before clipping as a 0-d
   * tensor (on the device for CUDA), NaN for a skipped float16 step. Call under NoGradGuard.
   */
  torch::Tensor update(std::vector<torch::Tensor> &params, float lr, float grad_clip, const torch::Device &device,
                       at::ScalarType amp_dtype);
};

}  // namespace cllm

#endif  // CLLM_ADAMW_H
