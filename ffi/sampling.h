/*
 * sampling.h: the token draw of sampling. Each sample has its own random stream, so sample
 * k draws the same numbers however the samples are cut into batches; onnx/sampler.ts
 * repeats this draw in TypeScript.
 */
#ifndef CLLM_SAMPLING_H
#define CLLM_SAMPLING_H

#include <torch/torch.h>

#include <cstdint>

namespace cllm {
namespace sampling {

/**
 * Per-sample random stream: xoshiro256** seeded through splitmix64 from (seed, index), so
 * sample k draws the same numbers however the batch is cut.
 */
struct SampleRng {
  uint64_t s[4];
  SampleRng(uint64_t seed, uint64_t index);
  uint64_t next();
  /** Uniform in [0, 1), 53 bits. */
  double uniform() { return (next() >> 11) * 0x1.0p-53; }
};

/**
 * The next-token distribution of each row of a batch: probabilities (rows, K) float64 on
 * the CPU and, under top-k, the token id of each of the K columns (else column = token).
 */
struct NextToken {
  torch::Tensor probs, choices;
};

/**
 * softmax(logits / temperature) of logits (rows, V), over the top_k largest only when
 * 0 < top_k < V (upstream masks the others to -inf: the same distribution).
 */
NextToken next_token(const torch::Tensor &logits, double temperature, int64_t top_k);

/** Draw row r's token from d by inverse CDF with one number of rng. */
int64_t draw(const NextToken &d, int64_t r, SampleRng &rng);

}  // namespace sampling
}  // namespace cllm

#endif  // CLLM_SAMPLING_H
