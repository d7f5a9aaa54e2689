//===- WarpReduce.h - shuffles and subgroup reductions, lane by lane -*- C++ -*-===//
//
// What gpu.shuffle and gpu.subgroup_reduce compute for one warp, given every
// lane's value as raw bits (moe_emu.h's scalar and operation codes). The
// emulator calls these once every lane of a warp has arrived.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_WARPREDUCE_H
#define MOE_RUNTIME_WARPREDUCE_H

#include <cstdint>
#include <optional>
#include <string>

namespace moe::emu {

/// gpu.shuffle for `lanes` lanes: lane l reads lane src (xor: l ^ offset,
/// up: l - offset, down: l + offset, idx: offset, each lane's own offset);
/// it is valid when src lies in [0, width), and an invalid lane keeps its
/// own value. `values` are read in full before `results` are written.
void shuffle(int lanes, const int64_t *values, const int32_t *offsets,
             int32_t mode, int32_t width, int64_t *results, bool *valid);

/// Why gpu.subgroup_reduce `op` on `scalar` cannot run (nothing if it can).
std::optional<std::string> unsupportedReduce(int32_t op, int32_t scalar);

/// gpu.subgroup_reduce: each cluster (`size` lanes, `stride` apart, the
/// clusters tiling the warp from lane 0) combines its lanes' values in
/// ascending lane order, in the scalar's own type (floats rounded to it after
/// each step), and every lane of the cluster receives the result.
void subgroupReduce(int lanes, const int64_t *values, int32_t op,
                    int32_t scalar, int32_t size, int32_t stride,
                    int64_t *results);

} // namespace moe::emu

#endif // MOE_RUNTIME_WARPREDUCE_H
