/**
 * The libtorch engine's sampler (ffi/sampling.cpp) in TypeScript: per-sample xoshiro256**
 * streams seeded through splitmix64 from (seed, index), and an inverse-CDF draw in float64
 * over softmax(top-k logits / temperature), so that equal logits draw equal tokens.
 *
 * @module
 */

const MASK64 = (1n << 64n) - 1n;

function rotl(x: bigint, k: bigint): bigint {
  return ((x << k) | (x >> (64n - k))) & MASK64;
}

/** A per-sample random stream: xoshiro256** seeded through splitmix64 from (seed, index). */
export class SampleRng {
  #s: [bigint, bigint, bigint, bigint];

  /**
   * @param seed The run's seed (`--seed`).
   * @param index The sample's index (k − 1 for `sample_<k>.cif`).
   */
  constructor(seed: number | bigint, index: number | bigint) {
    let x = BigInt.asUintN(64, BigInt(seed));
    const splitmix64 = (): bigint => {
      x = (x + 0x9e3779b97f4a7c15n) & MASK64;
      let z = x;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
      return z ^ (z >> 31n);
    };
    // as the C++: x = seed; mixed = splitmix64(x) ^ index * φ'; then s[i] = splitmix64(mixed)
    const mixed = splitmix64() ^ ((BigInt.asUintN(64, BigInt(index)) * 0xd1b54a32d192ed03n) & MASK64);
    x = mixed;
    this.#s = [splitmix64(), splitmix64(), splitmix64(), splitmix64()];
  }

  /** The next 64-bit output. */
  next(): bigint {
    const s = this.#s;
    const result = (rotl((s[1] * 5n) & MASK64, 7n) * 9n) & MASK64;
    const t = (s[1] << 17n) & MASK64;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45n);
    return result;
  }

  /** A double in [0, 1): the top 53 bits. */
  uniform(): number {
    return Number(this.next() >> 11n) * 2 ** -53;
  }
}

/** Sampling settings of one draw. */
export interface DrawOptions {
  temperature: number;
  /** 0 (or ≥ V) = the whole vocabulary. */
  top_k: number;
}

/** The k largest values' indices, descending (ties: lower index first); insertion, as k ≪ V. */
function topK(x: Float32Array, k: number): Int32Array {
  const ids = new Int32Array(k);
  const vals = new Float32Array(k).fill(-Infinity);
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (n === k && !(v > vals[k - 1])) continue;
    let j = n < k ? n++ : k - 1;
    while (j > 0 && v > vals[j - 1]) {
      vals[j] = vals[j - 1];
      ids[j] = ids[j - 1];
      j--;
    }
    vals[j] = v;
    ids[j] = i;
  }
  return ids;
}

/**
 * Probabilities of the candidates of one row, as the C++ computes them: logits / temperature
 * in float32; with top-k, the k largest in descending order (ties: lower id first);
 * softmax in float32, then widened to float64.
 *
 * @param logits The row's logits (`V` values).
 * @param options Temperature and top-k.
 * @returns Candidate ids and their probabilities, in draw order.
 */
export function candidates(
  logits: Float32Array,
  options: DrawOptions,
): { ids: Int32Array; probs: Float64Array } {
  const V = logits.length;
  const t = Math.fround(options.temperature);
  const scaled = new Float32Array(V);
  for (let i = 0; i < V; i++) scaled[i] = logits[i] / t;
  let ids: Int32Array;
  if (options.top_k > 0 && options.top_k < V) {
    ids = topK(scaled, options.top_k);
  } else {
    ids = Int32Array.from({ length: V }, (_, i) => i);
  }
  const K = ids.length;
  let max = -Infinity;
  for (let q = 0; q < K; q++) max = Math.max(max, scaled[ids[q]]);
  const e = new Float64Array(K);
  let sum = 0;
  for (let q = 0; q < K; q++) {
    e[q] = Math.fround(Math.exp(Math.fround(scaled[ids[q]] - max)));
    sum += e[q];
  }
  const sumF = Math.fround(sum);
  const probs = new Float64Array(K);
  for (let q = 0; q < K; q++) probs[q] = Math.fround(e[q] / sumF);
  return { ids, probs };
}

/**
 * Draw one token: inverse CDF over the candidates with `u` from the sample's stream; a draw
 * that lands on a zero-probability tail by rounding steps back to the last non-zero one.
 *
 * @param logits The row's logits.
 * @param rng The sample's stream (advanced by one).
 * @param options Temperature and top-k.
 * @returns The token id.
 */
export function drawToken(logits: Float32Array, rng: SampleRng, options: DrawOptions): number {
  const { ids, probs } = candidates(logits, options);
  const K = probs.length;
  const u = rng.uniform();
  let acc = 0;
  let c = K - 1;
  for (let q = 0; q < K; q++) {
    acc += probs[q];
    if (u < acc) {
      c = q;
      break;
    }
  }
  while (probs[c] === 0 && c > 0) c--;
  return ids[c];
}
