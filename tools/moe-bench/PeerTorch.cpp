//===- PeerTorch.cpp - the PyTorch peer, run as a subprocess --------------===//

#include "PeerTorch.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>

namespace moe::bench {

namespace {

/// `text` in single quotes for /bin/sh.
std::string shellQuote(const std::string &text) {
  std::string quoted = "'";
  for (char c : text)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

/// The directory of this executable ("" when unknown).
std::string executableDir() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0)
    return "";
  std::string text(path, static_cast<size_t>(n));
  size_t slash = text.rfind('/');
  return slash == std::string::npos ? "" : text.substr(0, slash);
}

/// peer_torch.py: beside the executable (the build copies it there), else
/// in the source tree this binary was built from.
std::string scriptPath() {
  std::string beside = executableDir() + "/peer_torch.py";
  if (access(beside.c_str(), R_OK) == 0)
    return beside;
#ifdef MOE_BENCH_SOURCE_DIR
  std::string source = std::string(MOE_BENCH_SOURCE_DIR) + "/peer_torch.py";
  if (access(source.c_str(), R_OK) == 0)
    return source;
#endif
  return "";
}

} // namespace

PeerResult runPeerTorch(const std::string &spec,
                        const std::vector<int64_t> &tokens, int threads,
                        int repeat, uint64_t seed, int64_t evictBytes) {
  PeerResult result;
  std::string script = scriptPath();
  if (script.empty()) {
    result.status = PeerResult::Status::Skipped;
    result.reason = "peer_torch.py not found beside moe-bench";
    return result;
  }
  std::string list;
  for (int64_t t : tokens)
    list += (list.empty() ? "" : ",") + std::to_string(t);
  std::string command = "python3 " + shellQuote(script) + " --spec " +
                        shellQuote(spec) + " --tokens " + list +
                        " --threads " + std::to_string(threads) +
                        " --repeat " + std::to_string(repeat) + " --seed " +
                        std::to_string(seed) + " --evict-bytes " +
                        std::to_string(evictBytes);
  // stdout is the script's JSON; its stderr goes to ours.
  fflush(stdout);
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe) {
    result.status = PeerResult::Status::Skipped;
    result.reason = "cannot start python3";
    return result;
  }
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    text.append(buffer, n);
  int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    result.status = PeerResult::Status::Skipped;
    result.reason = "python3 not found";
    return result;
  }

  nlohmann::json json = nlohmann::json::parse(text, nullptr,
                                              /*allow_exceptions=*/false);
  if (json.is_object() && json.contains("skipped")) {
    result.status = PeerResult::Status::Skipped;
    result.reason = json["skipped"].is_string()
                        ? json["skipped"].get<std::string>()
                        : "skipped";
    return result;
  }
  bool exited = status != -1 && WIFEXITED(status);
  if (!exited || WEXITSTATUS(status) != 0 || !json.is_object() ||
      !json.contains("results") || !json["results"].is_array()) {
    result.status = PeerResult::Status::Failed;
    result.reason =
        json.is_object() && json.contains("error") && json["error"].is_string()
            ? json["error"].get<std::string>()
        : !exited ? std::string("peer_torch.py was killed")
                  : "peer_torch.py exited with status " +
                        std::to_string(WEXITSTATUS(status)) +
                        " (its messages are above)";
    return result;
  }
  result.status = PeerResult::Status::Ran;
  if (json.contains("torch") && json["torch"].is_string())
    result.version = json["torch"].get<std::string>();
  if (json.contains("note") && json["note"].is_string())
    result.note = json["note"].get<std::string>();
  for (const nlohmann::json &row : json["results"])
    if (row.is_object() && row.contains("tokens") && row.contains("ms") &&
        row["tokens"].is_number_integer() && row["ms"].is_number())
      result.ms[row["tokens"].get<int64_t>()] = row["ms"].get<double>();
  return result;
}

} // namespace moe::bench
