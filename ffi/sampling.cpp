/*
 * sampling.cpp: the per-sample random streams and the token draw of sampling.h.
 */
#include "sampling.h"

namespace cllm {
namespace sampling {

namespace {

uint64_t splitmix64(uint64_t &x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

SampleRng::SampleRng(uint64_t seed, uint64_t index) {
  uint64_t x = seed;
  uint64_t mixed = splitmix64(x) ^ (index * 0xd1b54a32d192ed03ULL);
  for (auto &w : s) w = splitmix64(mixed);
}

uint64_t SampleRng::next() {
  const uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
  return result;
}

NextToken next_token(const torch::Tensor &logits, double temperature, int64_t top_k) {
  auto scaled = logits.to(torch::kFloat) / temperature;  // (rows, V)
  NextToken d;
  if (top_k > 0 && top_k < logits.size(-1)) {
    // upstream masks logits below the k-th largest to -inf; softmax over the top k is
    // the same distribution
    auto tk = scaled.topk(top_k, -1);
    d.probs = torch::softmax(std::get<0>(tk), -1).to(torch::kCPU, torch::kDouble).contiguous();  // (rows, k)
    d.choices = std::get<1>(tk).to(torch::kCPU, torch::kLong).contiguous();
  } else {
    d.probs = torch::softmax(scaled, -1).to(torch::kCPU, torch::kDouble).contiguous();  // (rows, V)
  }
  return d;
}

int64_t draw(const NextToken &d, int64_t r, SampleRng &rng) {
  const int64_t K = d.probs.size(1);
  const double *p = d.probs.data_ptr<double>() + r * K;
  double u = rng.uniform(), acc = 0.0;
  int64_t c = K - 1;
  for (int64_t q = 0; q < K; q++) {
    acc += p[q];
    if (u < acc) {
      c = q;
      break;
    }
  }
  while (p[c] == 0.0 && c > 0) c--;  // never pick a zero-probability tail by rounding
  return d.choices.defined() ? d.choices.data_ptr<int64_t>()[r * K + c] : c;
}

}  // namespace sampling
}  // namespace cllm
