//===- Rope.cpp - Rotary position embeddings (default, llama3, YaRN) ------===//
//
// Frequencies follow Hugging Face's `_compute_{default,llama3,yarn}_
// parameters`, evaluated in double; angles are position * inv_freq in double
// and cos/sin (times the attention factor) are rounded to float once per
// sequence, then applied to every head.
//
//===----------------------------------------------------------------------===//
#include "helix_rt/kernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace helix_rt::kernels {

namespace {

constexpr double kPi = 3.14159265358979323846;

/// YaRN's get_mscale(scale, mscale).
double yarnMscale(double scale, double mscale) {
  return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

/// YaRN's find_correction_dim: the dimension whose wavelength makes
/// `rotations` turns over the original context.
double correctionDim(double rotations, double dim, double base,
                     double originalMax) {
  return dim * std::log(originalMax / (rotations * 2.0 * kPi)) /
         (2.0 * std::log(base));
}

void llama3(const RopeParams &p, int64_t half, double *invFreq) {
  const double orig = static_cast<double>(p.originalMaxPosition);
  const double lowFreqWavelen = orig / p.lowFreqFactor;
  const double highFreqWavelen = orig / p.highFreqFactor;
  for (int64_t i = 0; i < half; ++i) {
    const double f = invFreq[i];
    const double wavelen = 2.0 * kPi / f;
    const double scaled = wavelen > lowFreqWavelen ? f / p.factor : f;
    const bool medium =
        !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
    if (medium) {
      const double smooth = (orig / wavelen - p.lowFreqFactor) /
                            (p.highFreqFactor - p.lowFreqFactor);
      invFreq[i] = (1.0 - smooth) * scaled / p.factor + smooth * scaled;
    } else {
      invFreq[i] = scaled;
    }
  }
}

void yarn(const RopeParams &p, int64_t rotaryDim, double *invFreq,
          double *attentionFactor) {
  const double dim = static_cast<double>(rotaryDim);
  const double orig = static_cast<double>(p.originalMaxPosition);
  // find_correction_range with truncate = true.
  double low = std::floor(correctionDim(p.betaFast, dim, p.theta, orig));
  double high = std::ceil(correctionDim(p.betaSlow, dim, p.theta, orig));
  low = std::max(low, 0.0);
  high = std::min(high, dim - 1.0);
  if (low == high)
    high += 0.001; // linear_ramp_factor avoids a zero division.
  for (int64_t i = 0, half = rotaryDim / 2; i < half; ++i) {
    const double ramp =
        std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    const double extrapolation = 1.0 - ramp;
    const double posFreq = std::pow(p.theta, 2.0 * i / dim);
    invFreq[i] = 1.0 / (p.factor * posFreq) * (1.0 - extrapolation) +
                 1.0 / posFreq * extrapolation;
  }
  if (p.mscale != 0.0 && p.mscaleAllDim != 0.0)
    *attentionFactor =
        yarnMscale(p.factor, p.mscale) / yarnMscale(p.factor, p.mscaleAllDim);
  else
    *attentionFactor = yarnMscale(p.factor, 1.0);
}

} // namespace

void ropeFrequencies(const RopeParams &params, int64_t rotaryDim,
                     double *invFreq, double *attentionFactor) {
  const int64_t half = rotaryDim / 2;
  *attentionFactor = 1.0;
  if (params.scaling == RopeScaling::Yarn) {
    yarn(params, rotaryDim, invFreq, attentionFactor);
    return;
  }
  for (int64_t i = 0; i < half; ++i)
    invFreq[i] = 1.0 / std::pow(params.theta, static_cast<double>(2 * i) /
                                                  static_cast<double>(rotaryDim));
  if (params.scaling == RopeScaling::Llama3)
    llama3(params, half, invFreq);
}

void rope(const float *x, const int64_t *positions, int64_t batch,
          int64_t heads, int64_t headDim, int64_t rotaryDim,
          const RopeParams &params, float *out) {
  const int64_t half = rotaryDim / 2;
  const int64_t pass = headDim - rotaryDim;
  std::vector<double> invFreq(static_cast<size_t>(half));
  double attentionFactor = 1.0;
  ropeFrequencies(params, rotaryDim, invFreq.data(), &attentionFactor);
  std::vector<float> cosv(static_cast<size_t>(half)),
      sinv(static_cast<size_t>(half));
  for (int64_t b = 0; b < batch; ++b) {
    const double pos = static_cast<double>(positions[b]);
    for (int64_t j = 0; j < half; ++j) {
      const double angle = pos * invFreq[j];
      cosv[j] = static_cast<float>(std::cos(angle) * attentionFactor);
      sinv[j] = static_cast<float>(std::sin(angle) * attentionFactor);
    }
    const float *c = cosv.data();
    const float *s = sinv.data();
    for (int64_t h = 0; h < heads; ++h) {
      // Both channels of a pair are read before either is written, so
      // out may equal x.
      const float *xh = x + (b * heads + h) * headDim;
      float *oh = out + (b * heads + h) * headDim;
      if (oh != xh)
        for (int64_t i = 0; i < pass; ++i)
          oh[i] = xh[i];
      const float *xr = xh + pass;
      float *orot = oh + pass;
      if (params.interleaved) {
        for (int64_t j = 0; j < half; ++j) {
          const float a = xr[2 * j], bb = xr[2 * j + 1];
          orot[2 * j] = a * c[j] - bb * s[j];
          orot[2 * j + 1] = bb * c[j] + a * s[j];
        }
      } else {
        for (int64_t j = 0; j < half; ++j) {
          const float a = xr[j], bb = xr[j + half];
          orot[j] = a * c[j] - bb * s[j];
          orot[j + half] = bb * c[j] + a * s[j];
        }
      }
    }
  }
}

} // namespace helix_rt::kernels
