//===- MoeTest.cpp - DeepSeek-V3 routing and routed experts ---------------===//
#include "KernelTestUtil.h"
#include "helix_rt/kernels.h"

#include <numeric>

using namespace helix_kernel_test;
namespace k = helix_rt::kernels;

namespace {

struct Route {
  std::vector<int64_t> ids;
  std::vector<double> weights;
};

/// Literal transcription of DeepseekV3TopkRouter (ties go to the lower
/// index), in double.
Route naiveRoute(const float *x, const std::vector<float> &gate,
                 const std::vector<float> &bias, int64_t hidden,
                 int64_t experts, int64_t topK, int64_t groups,
                 int64_t topkGroup, bool norm, double scaling) {
  std::vector<double> scores(experts), choice(experts);
  for (int64_t e = 0; e < experts; ++e) {
    double logit = 0.0;
    for (int64_t i = 0; i < hidden; ++i)
      logit += double(x[i]) * gate[e * hidden + i];
    scores[e] = 1.0 / (1.0 + std::exp(-logit));
    choice[e] = scores[e] + bias[e];
  }
  auto topk = [](const std::vector<double> &v, int64_t n) {
    std::vector<int64_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
      return v[a] > v[b] || (v[a] == v[b] && a < b);
    });
    idx.resize(n);
    return idx;
  };
  const int64_t size = experts / groups;
  std::vector<double> groupScores(groups);
  for (int64_t g = 0; g < groups; ++g) {
    std::vector<double> members(choice.begin() + g * size,
                                choice.begin() + (g + 1) * size);
    for (int64_t i : topk(members, 2))
      groupScores[g] += members[i];
  }
  std::vector<bool> keep(groups, false);
  for (int64_t g : topk(groupScores, topkGroup))
    keep[g] = true;
  for (int64_t e = 0; e < experts; ++e)
    if (!keep[e / size])
      choice[e] = 0.0;
  Route r;
  r.ids = topk(choice, topK);
  double sum = 0.0;
  for (int64_t e : r.ids)
    sum += scores[e];
  for (int64_t e : r.ids)
    r.weights.push_back((norm ? scores[e] / (sum + 1e-20) : scores[e]) *
                        scaling);
  return r;
}

struct RouteOut {
  std::vector<int64_t> ids;
  std::vector<float> weights;
};

RouteOut route(const std::vector<float> &x, const std::vector<float> &gate,
               const std::vector<float> &bias, int64_t batch, int64_t hidden,
               int64_t experts, int64_t topK, int64_t groups,
               int64_t topkGroup, bool norm, float scaling) {
  RouteOut o{std::vector<int64_t>(batch * topK),
             std::vector<float>(batch * topK)};
  k::moeRoute(x.data(), gate.data(), bias.data(), batch, hidden, experts,
              topK, groups, topkGroup, norm, scaling, o.ids.data(),
              o.weights.data());
  return o;
}

TEST(MoeRoute, MatchesNaiveRouter) {
  const int64_t batch = 6, hidden = 40, experts = 32, topK = 6, groups = 8;
  std::vector<float> x = randomVector(batch * hidden, 70, -2.0f, 2.0f);
  std::vector<float> gate = randomVector(experts * hidden, 71);
  std::vector<float> bias = randomVector(experts, 72, -0.3f, 0.3f);
  for (int64_t topkGroup : {1, 3, 8})
    for (bool norm : {true, false}) {
      RouteOut got = route(x, gate, bias, batch, hidden, experts, topK,
                           groups, topkGroup, norm, 2.5f);
      for (int64_t b = 0; b < batch; ++b) {
        Route ref = naiveRoute(x.data() + b * hidden, gate, bias, hidden,
                               experts, topK, groups, topkGroup, norm, 2.5);
        for (int64_t i = 0; i < topK; ++i) {
          EXPECT_EQ(got.ids[b * topK + i], ref.ids[i]);
          EXPECT_NEAR(got.weights[b * topK + i], ref.weights[i],
                      1e-5 * std::fabs(ref.weights[i]));
        }
      }
    }
}

TEST(MoeRoute, GroupMaskingChangesTheChoice) {
  // x = 0: every score is sigmoid(0) = 0.5 and the bias alone decides.
  // Expert 0 has the best choice (0.9) but its group {0, 1} sums to 1.0,
  // the lowest; groups {2, 3} (1.6) and {4, 5} (1.4) are kept.
  const int64_t hidden = 4, experts = 8, groups = 4;
  std::vector<float> x(hidden, 0.0f), gate = randomVector(experts * hidden, 80);
  std::vector<float> bias = {0.4f, -0.4f, 0.3f, 0.3f, 0.2f, 0.2f, 0.1f, 0.1f};
  RouteOut all = route(x, gate, bias, 1, hidden, experts, 2, groups, groups,
                       false, 1.0f);
  EXPECT_EQ(all.ids, (std::vector<int64_t>{0, 2}));
  RouteOut limited =
      route(x, gate, bias, 1, hidden, experts, 2, groups, 2, true, 2.0f);
  EXPECT_EQ(limited.ids, (std::vector<int64_t>{2, 3})); // tie -> lower first
  EXPECT_FLOAT_EQ(limited.weights[0], 1.0f); // 0.5 / 1.0 * 2
  EXPECT_FLOAT_EQ(limited.weights[1], 1.0f);
}

TEST(MoeRoute, MaskedGroupsCompeteWithZeroNotMinusInf) {
  // One kept group {2, 3}; expert 3's choice is negative (0.5 - 0.9), so a
  // masked expert (choice 0.0, lowest index 0) beats it, as masked_fill(0.0)
  // does in Hugging Face.
  const int64_t hidden = 4, experts = 8, groups = 4;
  std::vector<float> x(hidden, 0.0f), gate = randomVector(experts * hidden, 81);
  std::vector<float> bias = {0.0f, 0.0f, 1.0f, -0.9f, 0.0f, 0.0f, 0.0f, 0.0f};
  RouteOut r = route(x, gate, bias, 1, hidden, experts, 2, groups, 1, false,
                     1.0f);
  EXPECT_EQ(r.ids, (std::vector<int64_t>{2, 0}));
  EXPECT_FLOAT_EQ(r.weights[0], 0.5f);
  EXPECT_FLOAT_EQ(r.weights[1], 0.5f);
}

/// One expert's SwiGLU in double.
std::vector<double> naiveExpert(const float *x, const std::vector<float> &g,
                                const std::vector<float> &u,
                                const std::vector<float> &d, int64_t hidden,
                                int64_t width) {
  std::vector<double> act(width), out(hidden, 0.0);
  for (int64_t j = 0; j < width; ++j) {
    double gv = 0.0, uv = 0.0;
    for (int64_t i = 0; i < hidden; ++i) {
      gv += double(g[j * hidden + i]) * x[i];
      uv += double(u[j * hidden + i]) * x[i];
    }
    act[j] = gv / (1.0 + std::exp(-gv)) * uv;
  }
  for (int64_t i = 0; i < hidden; ++i)
    for (int64_t j = 0; j < width; ++j)
      out[i] += double(d[i * width + j]) * act[j];
  return out;
}

TEST(MoeExperts, OnlyLocalExpertsContribute) {
  // Six experts, this rank holds [2, 5); rows route to two each.
  const int64_t batch = 5, hidden = 24, width = 10, topK = 2, experts = 6;
  const int64_t first = 2, numLocal = 3;
  std::vector<float> x = randomVector(batch * hidden, 90, -2.0f, 2.0f);
  std::vector<std::vector<float>> g, u, d;
  for (int64_t e = 0; e < experts; ++e) {
    g.push_back(randomVector(width * hidden, 91 + e));
    u.push_back(randomVector(width * hidden, 101 + e));
    d.push_back(randomVector(hidden * width, 111 + e));
  }
  const std::vector<int64_t> ids = {2, 4, 0, 3, 5, 1, 4, 3, 2, 3};
  std::vector<float> weights = randomVector(batch * topK, 120, 0.1f, 1.0f);
  std::vector<k::Weights> gp, up, dp;
  for (int64_t e = first; e < first + numLocal; ++e) {
    gp.push_back(g[e].data());
    up.push_back(u[e].data());
    dp.push_back(d[e].data());
  }
  std::vector<float> out(batch * hidden, 555.0f); // overwritten
  k::moeExperts(x.data(), ids.data(), weights.data(), batch, hidden, topK,
                first, numLocal, width, gp.data(), up.data(), dp.data(),
                out.data());
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<double> ref(hidden, 0.0);
    for (int64_t kk = 0; kk < topK; ++kk) {
      const int64_t e = ids[b * topK + kk];
      if (e < first || e >= first + numLocal)
        continue;
      std::vector<double> y =
          naiveExpert(x.data() + b * hidden, g[e], u[e], d[e], hidden, width);
      for (int64_t i = 0; i < hidden; ++i)
        ref[i] += weights[b * topK + kk] * y[i];
    }
    SCOPED_TRACE("b=" + std::to_string(b));
    if (b == 2) { // experts 5 and 1: none local
      for (int64_t i = 0; i < hidden; ++i)
        EXPECT_EQ(out[b * hidden + i], 0.0f);
      continue;
    }
    expectClose(ref, out.data() + b * hidden);
  }
}

} // namespace
