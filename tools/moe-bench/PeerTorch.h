//===- PeerTorch.h - the PyTorch peer, run as a subprocess ------*- C++ -*-===//
//
// `--peer torch` times the Hugging Face Qwen3MoeSparseMoeBlock expert loop in
// PyTorch on the CPU (peer_torch.py) with random weights of the same shape:
// what a user gets without moe-mlir. It runs in its own process, before
// moe-bench allocates its weights, so the two never hold memory together.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TOOLS_MOE_BENCH_PEERTORCH_H
#define MOE_TOOLS_MOE_BENCH_PEERTORCH_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace moe::bench {

struct PeerResult {
  enum class Status { NotRequested, Ran, Skipped, Failed };
  Status status = Status::NotRequested;
  /// Why it was skipped or failed ("torch not importable", ...).
  std::string reason;
  std::string version; ///< torch.__version__
  std::string note;    ///< what the script says it measured differently
  std::map<int64_t, double> ms; ///< best ms per token count
};

/// Runs `python3 peer_torch.py` on the canonical layer spec; with
/// `evictBytes`, it sums a buffer of that size before each timed run.
PeerResult runPeerTorch(const std::string &spec,
                        const std::vector<int64_t> &tokens, int threads,
                        int repeat, uint64_t seed, int64_t evictBytes = 0);

} // namespace moe::bench

#endif // MOE_TOOLS_MOE_BENCH_PEERTORCH_H
