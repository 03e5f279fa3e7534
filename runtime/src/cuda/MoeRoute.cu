//===- MoeRoute.cu - DeepSeek-V3 routing: sigmoid, bias, group top-k ------===//
//
// One warp per token row, following kernels::moeRoute step by step so that
// both backends choose the same experts: sigmoid scores, biased choice
// values, each group's score as the sum of its two best choice values (best
// first), the topkGroup best groups, the other groups' choice values set to
// 0.0 (not -inf, as Hugging Face does), then top-k. Every top-k is repeated
// warp argmax with ties to the lower index, which is what the CPU kernel's
// partial_sort comparator picks. Weights are the unbiased scores, summed in
// rank order for the normalisation.
//
//===----------------------------------------------------------------------===//
#include "CudaStatus.h"
#include "DeviceUtil.cuh"
#include "helix_rt/cuda_kernels.h"

#include <climits>

namespace helix_rt::cuda {

namespace {

/// The better of (value, index) pairs: larger value, ties to lower index.
__device__ __forceinline__ bool better(float v, int i, float bestV, int bestI) {
  return v > bestV || (v == bestV && i < bestI);
}

/// Index of the best untaken value[begin + stride * k], k < count, over the
/// warp; every lane gets it.
__device__ int warpArgmax(const float *value, const unsigned char *taken,
                          int begin, int count, int stride) {
  float bestV = -INFINITY;
  int bestI = INT_MAX;
  for (int k = threadIdx.x; k < count; k += 32) {
    const int i = begin + k * stride;
    if (!taken[i] && better(value[i], i, bestV, bestI)) {
      bestV = value[i];
      bestI = i;
    }
  }
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) {
    const float v = __shfl_xor_sync(detail::kFullMask, bestV, offset);
    const int i = __shfl_xor_sync(detail::kFullMask, bestI, offset);
    if (better(v, i, bestV, bestI)) {
      bestV = v;
      bestI = i;
    }
  }
  // Unreachable while an untaken value exists (NaN choices are -inf); kept
  // in range regardless, since the index addresses shared memory.
  return bestI == INT_MAX ? begin : bestI;
}

__global__ void __launch_bounds__(32)
    moeRouteKernel(const float *logits, const float *bias, int experts,
                   int topK, int groups, int topkGroup, bool normTopkProb,
                   float scaling, int64_t *ids, float *weights) {
  extern __shared__ float smem[];
  float *scores = smem;                  // [experts]
  float *choice = scores + experts;      // [experts]
  float *groupScore = choice + experts;  // [groups]
  int *order = reinterpret_cast<int *>(groupScore + groups); // [topK]
  unsigned char *taken = reinterpret_cast<unsigned char *>(order + topK);
  const int lane = threadIdx.x;
  const int64_t row = blockIdx.x;
  const float *l = logits + row * experts;

  for (int e = lane; e < experts; e += 32) {
    scores[e] = 1.0f / (1.0f + expf(-l[e]));
    // NaN logits choose last (as -inf) so every argmax below finds an
    // untaken index in range; the NaN still reaches the weights.
    const float c = scores[e] + bias[e];
    choice[e] = isnan(c) ? -INFINITY : c;
    taken[e] = 0;
  }
  __syncwarp();
  const int groupSize = experts / groups;
  const int perGroup = min(2, groupSize);
  for (int g = 0; g < groups; ++g) {
    float sum = 0.0f;
    int picked[2] = {-1, -1};
    for (int k = 0; k < perGroup; ++k) {
      const int i = warpArgmax(choice, taken, g * groupSize, groupSize, 1);
      sum += choice[i];
      picked[k] = i;
      __syncwarp();
      if (lane == 0)
        taken[i] = 1;
      __syncwarp();
    }
    __syncwarp();
    if (lane == 0) {
      groupScore[g] = sum;
      for (int k = 0; k < perGroup; ++k)
        taken[picked[k]] = 0;
    }
    __syncwarp();
  }
  // The best topkGroup groups (their flags live after the experts').
  unsigned char *groupTaken = taken + experts;
  for (int g = lane; g < groups; g += 32)
    groupTaken[g] = 0;
  __syncwarp();
  for (int k = 0; k < topkGroup; ++k) {
    const int g = warpArgmax(groupScore, groupTaken, 0, groups, 1);
    __syncwarp();
    if (lane == 0)
      groupTaken[g] = 1;
    __syncwarp();
  }
  for (int e = lane; e < experts; e += 32)
    if (!groupTaken[e / groupSize])
      choice[e] = 0.0f;
  __syncwarp();
  for (int k = 0; k < topK; ++k) {
    const int e = warpArgmax(choice, taken, 0, experts, 1);
    __syncwarp();
    if (lane == 0) {
      taken[e] = 1;
      order[k] = e;
    }
    __syncwarp();
  }
  if (lane == 0) {
    float sum = 0.0f;
    for (int k = 0; k < topK; ++k)
      sum += scores[order[k]];
    const float denominator = normTopkProb ? sum + 1e-20f : 1.0f;
    for (int k = 0; k < topK; ++k) {
      float w = scores[order[k]];
      if (normTopkProb)
        w /= denominator;
      ids[row * topK + k] = order[k];
      weights[row * topK + k] = w * scaling;
    }
  }
}

} // namespace

helix_status moeRouteFromLogits(const float *logits, const float *bias,
                                int64_t batch, int64_t experts, int64_t topK,
                                int64_t groups, int64_t topkGroup,
                                bool normTopkProb, float scaling, int64_t *ids,
                                float *weights, cudaStream_t stream) {
  const char *what = "cuda::moeRoute";
  if (batch < 0 || experts <= 0 || experts > 1024 || groups <= 0 ||
      experts % groups != 0 || topkGroup <= 0 || topkGroup > groups ||
      topK <= 0 || topK > experts)
    return detail::invalid(what, "bad routing sizes");
  if (topK > topkGroup * (experts / groups))
    return detail::invalid(what, "topK exceeds the experts of the kept "
                                 "groups");
  if (batch == 0)
    return HELIX_OK;
  if (!logits || !bias || !ids || !weights)
    return detail::invalid(what, "null buffer");
  if (batch > 2147483647)
    return detail::invalid(what, "batch too large");
  const size_t smem = size_t(2 * experts + groups + topK) * 4 +
                      size_t(experts + groups);
  moeRouteKernel<<<unsigned(batch), 32, smem, stream>>>(
      logits, bias, int(experts), int(topK), int(groups), int(topkGroup),
      normTopkProb, scaling, ids, weights);
  return detail::checkLaunch(what);
}

helix_status moeRoute(cublasHandle_t cublas, const bf16 *x,
                      const bf16 *gateWeight, const float *bias, int64_t batch,
                      int64_t hidden, int64_t experts, int64_t topK,
                      int64_t groups, int64_t topkGroup, bool normTopkProb,
                      float scaling, float *logits, int64_t *ids,
                      float *weights, cudaStream_t stream) {
  if (batch > 0 && !logits)
    return detail::invalid("cuda::moeRoute", "null logits scratch");
  // Router logits in fp32 (fp32 accumulation of bf16 inputs).
  if (helix_status s = linear(cublas, x, hidden, gateWeight, batch, hidden,
                              experts, logits, stream))
    return s;
  return moeRouteFromLogits(logits, bias, batch, experts, topK, groups,
                            topkGroup, normTopkProb, scaling, ids, weights,
                            stream);
}

} // namespace helix_rt::cuda
