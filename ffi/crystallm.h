/*
 * crystallm.h: the C ABI of the CrystaLLM model library (nanoGPT's GPT on libtorch).
 *
 * Everything that crosses is a plain type: opaque handles, int32/int64, float buffers the
 * caller owns, and NUL-terminated UTF-8 strings (flat JSON objects for option sets).
 * No C++ exception ever crosses: every function that can fail returns a status, and the
 * handle keeps a readable message ("file:line: what") for cllm_last_error().
 *
 * Glossary: B = batch size, T = sequence length, C = n_embd, V = vocab_size.
 *
 * Tensor names are upstream's state-dict keys (`transformer.h.0.attn.c_attn.weight`);
 * optimizer moments are `exp_avg/<key>`, `exp_avg_sq/<key>` and `step/<key>` (0-d), as
 * torch.optim.AdamW keeps them. `lm_head.weight` is tied to `transformer.wte.weight` and
 * is not a separate tensor here.
 */
#ifndef CRYSTALLM_H
#define CRYSTALLM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLLM_ABI_VERSION 2

/* the library is built with hidden visibility: only these functions are exported */
#if defined(__GNUC__)
#define CLLM_API __attribute__((visibility("default")))
#else
#define CLLM_API
#endif

enum {
  CLLM_OK = 0,
  CLLM_ERR_ARGUMENT = 1, /* bad argument: size mismatch, unknown name, bad JSON */
  CLLM_ERR_STATE = 2,    /* call out of order, e.g. a train step before cllm_optimizer_new */
  CLLM_ERR_TORCH = 3,    /* libtorch raised (c10::Error), e.g. CUDA out of memory */
  CLLM_ERR_INTERNAL = 4  /* any other C++ exception */
};

typedef struct cllm_model cllm_model; /* opaque: no libtorch type crosses */

/* CLLM_ABI_VERSION of the built library; ffi/mod.ts refuses a mismatch. */
CLLM_API int32_t cllm_abi_version(void);

/* JSON {"torch_version","cuda_available","cuda_device_count","cuda_version","num_threads","cxx11_abi",
 * "sdpa","cpu_kernels"} (cuda_version: the CUDA toolkit libtorch was built with, "" for CPU) 
 * into buf (cap bytes incl. NUL). Returns CLLM_ERR_ARGUMENT when buf is too small. */
CLLM_API int cllm_runtime_info(char *buf, int64_t cap);

/* Intra-op threads for every later call (applied on the calling thread of each call, since
 * OpenMP's thread count is per thread and nonblocking calls run on another thread). */
CLLM_API int cllm_set_num_threads(int32_t n);

/* Build a GPT from a flat JSON config: n_layer, n_head, n_embd, block_size, vocab_size,
 * bias, dropout, device ("cpu" | "cuda" | "cuda:N"), dtype ("float32" | "bfloat16" |
 * "float16": the autocast dtype), tf32 (float32 matmuls on TF32 tensor cores on CUDA, default
 * true as upstream's train.py/sample.py; false for full-float32 parity), seed (initialisation
 * and dropout). *out is set even when
 * the call fails, so the caller can read cllm_last_error(*out) and then free it. */
CLLM_API int cllm_model_new(const char *config_json, cllm_model **out);

/* Free a handle; NULL is fine. */
CLLM_API void cllm_model_free(cllm_model *m);

/* Message for m's last non-zero status ("" when none); NULL m gives the last message of a
 * handle-less call. Valid until the next call on m. */
CLLM_API const char *cllm_last_error(const cllm_model *m);

/* Number of named tensors: parameters, then optimizer state once it exists. */
CLLM_API int cllm_tensor_count(cllm_model *m, int32_t *n);

/* Name (NUL-terminated, name_cap bytes incl. NUL) and shape (up to 8 dims) of tensor i. */
CLLM_API int cllm_tensor_info(cllm_model *m, int32_t i, char *name, int64_t name_cap, int64_t *shape, int32_t *ndim);

/* Copy tensor `name` as float32 into out (numel floats). */
CLLM_API int cllm_tensor_read(cllm_model *m, const char *name, float *out, int64_t numel);

/* Overwrite tensor `name` from data (numel float32 values). */
CLLM_API int cllm_tensor_write(cllm_model *m, const char *name, const float *data, int64_t numel);

/* Evaluation forward (no grad, dropout off). idx, targets: (B, T); targets may be NULL
 * (then *loss is NaN) and hold -1 for ignored positions. logits: (B, T, V) or NULL.
 * loss: mean cross-entropy over non-ignored targets, as upstream's F.cross_entropy. */
CLLM_API int cllm_forward(cllm_model *m, const int32_t *idx, const int32_t *targets, int64_t B, int64_t T,
                 float *logits, float *loss);

/* Create AdamW state (zeros) from flat JSON: weight_decay, beta1, beta2, eps. Weight decay
 * applies to Linear weights only, as upstream CrystaLLM 8e81a86 configure_optimizers. */
CLLM_API int cllm_optimizer_new(cllm_model *m, const char *options_json);

/* One optimizer step over `micro` accumulated micro-batches. x, y: (micro, B, T).
 * grad_clip <= 0 disables clipping. *loss: mean micro-batch loss; *grad_norm: total norm
 * before clipping (NaN when a float16 step was skipped for non-finite gradients).
 * loss and grad_norm both NULL: nothing is read back, so a CUDA step never waits for the GPU
 * (bfloat16/float32); the two values are kept for cllm_train_flush. */
CLLM_API int cllm_train_step(cllm_model *m, const int32_t *x, const int32_t *y, int64_t micro, int64_t B,
                    int64_t T, float lr, float grad_clip, float *loss, float *grad_norm);

/* Losses and gradient norms of the steps since the last flush that returned nothing, in
 * step order, in one copy (this waits for the GPU). *n: how many (at most cap). */
CLLM_API int cllm_train_flush(cllm_model *m, float *losses, float *grad_norms, int64_t cap, int64_t *n);

/* Sample n sequences from one prompt (P ids) with a KV cache, batched. options_json:
 * seed, max_new_tokens, temperature, top_k (0 = off), stop_id (-1 = off; stop once two
 * stop_id tokens follow each other, the second one emitted, as upstream's generate).
 * Sample i uses the random stream (seed, first_index + i), so a sample is the same however
 * the batch is cut. out: (n, max_new_tokens) new ids, lengths: (n) ids written per row. */
CLLM_API int cllm_generate(cllm_model *m, const int32_t *prompt, int64_t P, int64_t n, int64_t first_index,
                  const char *options_json, int32_t *out, int32_t *lengths);

#ifdef __cplusplus
}
#endif

#endif /* CRYSTALLM_H */
