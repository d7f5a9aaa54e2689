//===- Baseline.cpp - the per-expert OpenBLAS loop ------------------------===//

#include "Baseline.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#ifdef MOE_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace moe::bench {

namespace {

/// C[m, n] = A[m, k] · W, W stored [k, n] (eio) or [n, k] (eoi, as
/// nn.Linear), all row-major.
void matmul(int64_t m, int64_t n, int64_t k, const float *a, const float *w,
            bool transposed, float *c) {
  if (m == 0)
    return;
#ifdef MOE_BENCH_HAVE_OPENBLAS
  if (m == 1) {
    // One row is a matrix-vector product. OpenBLAS before 0.3.27 runs it
    // through sgemm, which first packs all of W: two to three times the
    // weight traffic of sgemv, in the case (T = 1, or one token on an
    // expert) where weight traffic is everything. Newer OpenBLAS forwards
    // it to sgemv itself.
    cblas_sgemv(CblasRowMajor, transposed ? CblasNoTrans : CblasTrans,
                static_cast<int>(transposed ? n : k),
                static_cast<int>(transposed ? k : n), 1.0f, w,
                static_cast<int>(transposed ? k : n), a, 1, 0.0f, c, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans,
              transposed ? CblasTrans : CblasNoTrans, static_cast<int>(m),
              static_cast<int>(n), static_cast<int>(k), 1.0f, a,
              static_cast<int>(k), w,
              static_cast<int>(transposed ? k : n), 0.0f, c,
              static_cast<int>(n));
#else
  (void)n, (void)k, (void)a, (void)w, (void)transposed, (void)c;
#endif
}

/// h[r] = act(g[r, :I]) * g[r, I:] (gated) or act(g[r]) over `rows` rows.
void activate(const float *g, int64_t rows, int64_t inter, bool gated,
              ref::Activation activation, float *h) {
  const int64_t width = gated ? 2 * inter : inter;
  for (int64_t r = 0; r < rows; ++r) {
    const float *in = g + r * width;
    float *o = h + r * inter;
    if (activation == ref::Activation::Silu) {
      // Inline: the common case, and a call an element would show in the
      // baseline's time.
      for (int64_t j = 0; j < inter; ++j) {
        float x = in[j];
        o[j] = x / (1.0f + std::exp(-x));
      }
    } else {
      for (int64_t j = 0; j < inter; ++j)
        o[j] = ref::activate(activation, in[j]);
    }
    if (gated)
      for (int64_t j = 0; j < inter; ++j)
        o[j] *= in[inter + j];
  }
}

} // namespace

bool openblasAvailable() {
#ifdef MOE_BENCH_HAVE_OPENBLAS
  return true;
#else
  return false;
#endif
}

std::string openblasDescription() {
#ifdef MOE_BENCH_HAVE_OPENBLAS
  std::string config = openblas_get_config();
  while (!config.empty() && config.back() == ' ')
    config.pop_back();
  return config + " (" + openblas_get_corename() + " kernels)";
#else
  return "not built (OpenBLAS was not found when moe-bench was configured; "
         "Debian: libopenblas-dev)";
#endif
}

void openblasSetThreads(int threads) {
#ifdef MOE_BENCH_HAVE_OPENBLAS
  openblas_set_num_threads(threads);
#else
  (void)threads;
#endif
}

OpenBlasBaseline::OpenBlasBaseline(const LayerSpec &spec,
                                   const LayerInputs &inputs,
                                   const Routing &routing)
    : spec(spec), inputs(inputs), routing(routing) {}

void OpenBlasBaseline::prepare(int64_t tokens) {
  this->tokens = tokens;
  const int64_t h = spec.hidden, i = spec.inter;
  const int64_t i2 = spec.gated ? 2 * i : i;
  const int64_t si = spec.sharedInter, si2 = spec.gated ? 2 * si : si;
  // An expert gets each token at most once: T rows at most.
  auto size = [](std::vector<float> &v, int64_t n) {
    v.assign(static_cast<size_t>(n), 0.0f);
  };
  size(out, tokens * h);
  size(logits, tokens * spec.experts);
  size(xe, tokens * h);
  size(gateUp, tokens * i2);
  size(act, tokens * i);
  size(down, tokens * h);
  size(sharedGateUp, si ? tokens * si2 : 0);
  size(sharedAct, si ? tokens * si : 0);
  size(sharedDown, si ? tokens * h : 0);
  count.assign(static_cast<size_t>(spec.experts) + 1, 0);
  next.assign(static_cast<size_t>(spec.experts), 0);
  pairs.assign(static_cast<size_t>(tokens * spec.k), 0);
}

void OpenBlasBaseline::run() {
  const int64_t h = spec.hidden, i = spec.inter, e = spec.experts;
  const int64_t k = spec.k;
  const int64_t i2 = spec.gated ? 2 * i : i;
  const bool eoi = spec.layout == ref::WeightLayout::ExpertOutIn;
  const float *x = inputs.args[0].values.data.data();
  const float *wGateUp = inputs.find("w_gate_up")->values.data.data();
  const float *wDown = inputs.find("w_down")->values.data.data();
  const int32_t *ids = routing.route.ids.data.data();
  const float *weights = routing.route.weights.data.data();

  matmul(tokens, e, h, x, inputs.find("router_w")->values.data.data(),
         /*transposed=*/false, logits.data());

  // Group the pairs by expert in pair order (a counting sort, as permute
  // does); a capacity keeps each expert's first C pairs, as dispatch does.
  const int64_t capacity =
      spec.capacityFactor
          ? ref::capacityFromFactor(*spec.capacityFactor, tokens * k, e)
          : tokens * k;
  std::fill(count.begin(), count.end(), 0);
  for (int64_t p = 0; p < tokens * k; ++p)
    if (ids[p] >= 0 && ids[p] < e && count[ids[p] + 1] < capacity)
      ++count[ids[p] + 1];
  for (int64_t expert = 0; expert < e; ++expert)
    count[expert + 1] += count[expert];
  std::copy(count.begin(), count.end() - 1, next.begin());
  for (int64_t p = 0; p < tokens * k; ++p) {
    int32_t expert = ids[p];
    if (expert >= 0 && expert < e && next[expert] < count[expert + 1])
      pairs[next[expert]++] = static_cast<int32_t>(p);
  }

  std::fill(out.begin(), out.end(), 0.0f);
  for (int64_t expert = 0; expert < e; ++expert) {
    const int64_t first = count[expert], n = count[expert + 1] - first;
    if (n == 0)
      continue;
    for (int64_t r = 0; r < n; ++r)
      std::memcpy(xe.data() + r * h, x + (pairs[first + r] / k) * h,
                  static_cast<size_t>(h) * sizeof(float));
    matmul(n, i2, h, xe.data(), wGateUp + expert * h * i2, eoi,
           gateUp.data());
    activate(gateUp.data(), n, i, spec.gated, spec.activation, act.data());
    matmul(n, h, i, act.data(), wDown + expert * i * h, eoi, down.data());
    for (int64_t r = 0; r < n; ++r) {
      const int32_t p = pairs[first + r];
      const float w = weights[p];
      float *o = out.data() + (p / k) * h;
      const float *y = down.data() + r * h;
      for (int64_t c = 0; c < h; ++c)
        o[c] += w * y[c];
    }
  }

  if (spec.sharedInter > 0) {
    const int64_t si = spec.sharedInter, si2 = spec.gated ? 2 * si : si;
    matmul(tokens, si2, h, x, inputs.find("shared_gate_up")->values.data.data(),
           eoi, sharedGateUp.data());
    activate(sharedGateUp.data(), tokens, si, spec.gated, spec.activation,
             sharedAct.data());
    matmul(tokens, h, si, sharedAct.data(),
           inputs.find("shared_down")->values.data.data(), eoi,
           sharedDown.data());
    for (size_t c = 0; c < out.size(); ++c)
      out[c] += sharedDown[c];
  }
}

} // namespace moe::bench
