/*===- kernels.h - CPU kernels of the helix runtime ------------*- C++ -*-===*
 *
 * The compute the compiled decode step calls into (like IREE's ukernels):
 * fp32 activations, row-major, contiguous buffers; B is the (micro-)batch.
 * Weight matrices are fp32 or stay in the checkpoint's bf16 / f16 (`Weights`):
 * the kernels read those directly and accumulate in fp32, so a step streams
 * half the bytes. Each kernel implements exactly the semantics of the helix
 * op it is named after (docs/dialect.md); `helix_rt::kernels` has no MLIR and
 * no state but the instruction set its half-precision loops run on.
 *
 *===----------------------------------------------------------------------===*/
#ifndef HELIX_RT_KERNELS_H
#define HELIX_RT_KERNELS_H

#include <cstdint>

namespace helix_rt::kernels {

/// What a weight matrix holds: fp32, or the checkpoint's bfloat16 or IEEE
/// binary16 values as they are (the values of helix_dtype).
enum class WeightType : int32_t { F32 = 0, BF16 = 1, F16 = 2 };

/// A row-major weight in its stored type. Implicit from `const float *`, so
/// fp32 callers read as before.
struct Weights {
  const void *data = nullptr;
  WeightType type = WeightType::F32;

  Weights() = default;
  Weights(const float *p) : data(p) {}
  Weights(const void *p, WeightType t) : data(p), type(t) {}
  /// The weight from element `offset` on (a row block).
  Weights at(int64_t offset) const {
    const char *base = static_cast<const char *>(data);
    return {base + offset * (type == WeightType::F32 ? 4 : 2), type};
  }
  bool isF32() const { return type == WeightType::F32; }
  const float *f32() const { return static_cast<const float *>(data); }
  const uint16_t *half() const { return static_cast<const uint16_t *>(data); }
};

/// The instruction sets of the half-precision loops (bf16/f16 -> fp32
/// conversion fused into the dot products): AVX-512F (16 lanes), AVX2 + FMA
/// + F16C (8 lanes), or portable code (GCC vector extensions, integer
/// conversion). The best the CPU supports is chosen at first use (cpuid);
/// HELIX_CPU_ISA=portable|avx2|avx512 asks for another one.
enum class Isa : int32_t { Portable = 0, Avx2 = 1, Avx512 = 2 };

bool isaSupported(Isa isa);
Isa activeIsa();
/// Makes `isa` the active one (tests, benchmarks); false, changing nothing,
/// when this CPU or build lacks it. Not for use while kernels run.
bool setIsa(Isa isa);
const char *isaName(Isa isa);

/// dst[i] = float(w[i]) for `count` values: exact (the hardware f16
/// conversion quiets signalling NaNs, which stay NaNs).
void toFloat(Weights w, int64_t count, float *dst);

/// dst[i] = bf16(src[i]) for `count` values, rounding to nearest even (as
/// the checkpoints' bf16 and the CUDA device's conversion); NaNs stay NaNs.
void toBf16(const float *src, int64_t count, uint16_t *dst);

/// Where each sequence's cached tokens start, in the KV cache's element
/// type: fp32, or bf16 (half the bytes attention streams; appends round with
/// toBf16). Attention widens a block of tokens at a time to fp32 and
/// accumulates in fp32. Implicit from `const float *const *`.
struct KvRows {
  const float *const *f32 = nullptr;     // an fp32 cache
  const uint16_t *const *bf16 = nullptr; // or a bf16 one

  KvRows(const float *const *rows) : f32(rows) {}
  KvRows(const uint16_t *const *rows) : bf16(rows) {}
  /// Sequence b's tokens from element `offset` on; null data for an empty
  /// slice (which may come with a null pointer).
  Weights at(int64_t b, int64_t offset = 0) const {
    if (bf16)
      return bf16[b] ? Weights(bf16[b] + offset, WeightType::BF16) : Weights();
    return f32[b] ? Weights(f32[b] + offset) : Weights();
  }
};

/// out[b] = table[tokens[b]], table [vocab, hidden]. Tokens are checked by
/// the caller (0 <= token < vocab).
void embed(Weights table, int64_t hidden, const int64_t *tokens, int64_t batch,
           float *out);

/// out = x / sqrt(mean(x^2) + eps) * weight over rows of n.
void rmsNorm(const float *x, const float *weight, int64_t batch, int64_t n,
             float eps, float *out);

/// out[B, n] = x[B, k] * W^T, W stored [n, k] (torch.nn.Linear layout).
void linear(const float *x, Weights weight, int64_t batch, int64_t k, int64_t n,
            float *out);

/// out = a + b, elementwise over count values.
void add(const float *a, const float *b, int64_t count, float *out);

enum class RopeScaling : int32_t { None = 0, Llama3 = 1, Yarn = 2 };

/// Everything that determines the rotary frequencies, as Hugging Face
/// computes them (`_compute_default/llama3/yarn_parameters`).
struct RopeParams {
  double theta = 10000.0;
  RopeScaling scaling = RopeScaling::None;
  bool interleaved = false; // pairs (2i, 2i+1) instead of (i, i + rd/2)
  double factor = 1.0;
  double lowFreqFactor = 1.0, highFreqFactor = 4.0; // llama3
  int64_t originalMaxPosition = 0;
  double betaFast = 32.0, betaSlow = 1.0;  // yarn
  double mscale = 1.0, mscaleAllDim = 0.0; // yarn attention factor
};

/// The rotary_dim/2 inverse frequencies and the factor that scales cos and
/// sin (YaRN's attention factor; 1 otherwise).
void ropeFrequencies(const RopeParams &params, int64_t rotaryDim,
                     double *invFreq, double *attentionFactor);

/// Rotates the last `rotaryDim` channels of each of `heads` heads of
/// `headDim` channels in x [B, heads * headDim] by position positions[b];
/// the first headDim - rotaryDim channels are copied.
void rope(const float *x, const int64_t *positions, int64_t batch,
          int64_t heads, int64_t headDim, int64_t rotaryDim,
          const RopeParams &params, float *out);

/// out = argmax over each row of logits [B, vocab]; ties -> lowest index;
/// -1 for a row holding a NaN (the decode loop reports it as an error).
void argmax(const float *logits, int64_t batch, int64_t vocab, int64_t *out);

/// Dense SwiGLU on a width block: out[B, hidden] = down(silu(gate x) * up x)
/// with gate/up [width, hidden], down [hidden, width] (a partial sum when
/// width is one rank's block).
void swiglu(const float *x, Weights gate, Weights up, Weights down,
            int64_t batch, int64_t hidden, int64_t width, float *out);

/// DeepSeek-V3 router (Hugging Face DeepseekV3TopkRouter): sigmoid scores,
/// biased choice, group-limited top-k (groups ranked by the sum of their two
/// best biased scores; other groups masked with 0.0), unbiased weights,
/// normalised by their sum + 1e-20 when normTopkProb, times scaling.
void moeRoute(const float *x, Weights gateWeight, const float *bias,
              int64_t batch, int64_t hidden, int64_t experts, int64_t topK,
              int64_t groups, int64_t topkGroup, bool normTopkProb,
              float scaling, int64_t *ids, float *weights);

/// Routed experts [firstExpert, firstExpert + numLocal) on a width block:
/// out[b] += sum_k [ids[b,k] local] weights[b,k] * swiglu_e(x[b]).
/// gate/up/down hold one pointer per local expert. `out` is overwritten.
void moeExperts(const float *x, const int64_t *ids, const float *weights,
                int64_t batch, int64_t hidden, int64_t topK,
                int64_t firstExpert, int64_t numLocal, int64_t width,
                const Weights *gate, const Weights *up, const Weights *down,
                float *out);

/// Partial GQA attention of B sequences over token rows given per sequence
/// (`length[b]` cached tokens at keys[b] / values[b], each token
/// [kvHeads, headDim]). Query head h reads KV head h / (heads / kvHeads).
/// out [B, heads, headDim + 1]: softmax-weighted values then the natural-log
/// LSE of the scaled scores; length 0 gives 0 and -inf.
void gqaPartialAttention(const float *q, KvRows keys, KvRows values,
                         const int64_t *length, int64_t batch, int64_t heads,
                         int64_t kvHeads, int64_t headDim, float scale,
                         float *out);

/// Absorbed MLA partial attention. q [B, heads, nope + ropeDim]; per
/// sequence `length[b]` cached tokens at latent[b], each [rank + ropeDim]
/// (normalised latent, then the rotated key); kvB = kv_b_proj [heads *
/// (nope + vDim), rank]. Scores scale * ((W_UK,h^T q_nope) . c + q_rope .
/// k_rope); out [B, heads, rank + 1] = latent-space output then LSE.
void mlaPartialAttention(const float *q, KvRows latent, const int64_t *length,
                         Weights kvB, int64_t batch, int64_t heads,
                         int64_t nope, int64_t ropeDim, int64_t vDim,
                         int64_t rank, float scale, float *out);

/// Exact merge: in [shards, B, heads, width + 1] (output then LSE) ->
/// out [B, heads * width]. LSE = -inf shards weigh 0; all empty gives 0.
void lseMerge(const float *in, int64_t shards, int64_t batch, int64_t heads,
              int64_t width, float *out);

/// W_UV for a block of heads: in [B, heads * rank] -> out [B, heads * vDim];
/// kvB points at the block's rows (heads * (nope + vDim) rows of rank).
void mlaValueProjection(const float *in, Weights kvB, int64_t batch,
                        int64_t heads, int64_t nope, int64_t vDim, int64_t rank,
                        float *out);

/// out[B, n] = sum over the leading `shards` of in [shards, B, n].
void sumShards(const float *in, int64_t shards, int64_t batch, int64_t n,
               float *out);

} // namespace helix_rt::kernels

#endif // HELIX_RT_KERNELS_H
