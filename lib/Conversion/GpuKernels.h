//===- GpuKernels.h - moe ops to gpu.launch kernels -------------*- C++ -*-===//
//
// The shared GPU lowering (DESIGN.md §5): every moe op becomes host code that
// launches kernels written with the gpu dialect (block and thread ids,
// workgroup memory, barriers) over memrefs. NVVM, ROCDL and the emulator all
// start from this form; only the pipelines after kernel outlining differ.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_GPUKERNELS_H
#define MOE_LIB_CONVERSION_GPUKERNELS_H

#include "GpuContractChecks.h"
#include "LoopEmitter.h"
#include "moe/MoeOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::moe {

/// Tile shape of the grouped GEMM kernel: a block computes BM rows x BN
/// result columns, stepping BK along the reduction, each thread TM x TN.
struct GemmTile {
  int64_t bm, bn, bk, tm, tn;
  int64_t wm = 0, wn = 0; // tensor cores: a warp's piece (0: SIMT)
  bool mfma = false;      // its steps: MFMA 16x16x16 on 64-lane waves, or
                          // mma.sync m16n8k16 on 32-lane warps
  int64_t threadsX() const { return bn / tn; }
  int64_t threadsY() const { return bm / tm; }
  int64_t threads() const { return threadsX() * threadsY(); }
};

/// The gpu.module every kernel is outlined into: one device binary per
/// compiled module.
constexpr const char *kKernelModule = "moe_kernels";

/// Creates `gpu.launch` named `name` (the outlined kernel's name in
/// kKernelModule) with the given grid and block and workgroup buffers, and
/// calls `body(launch)` with the builder inside the kernel, before its
/// terminator.
gpu::LaunchOp launchKernel(LoopEmitter &em, StringRef name, Value gridX,
                           Value gridY,
                           int64_t blockX, int64_t blockY,
                           ArrayRef<MemRefType> workgroupBuffers,
                           function_ref<void(gpu::LaunchOp)> body);

/// One thread per element of [0, count): `body(em, i)` inside a 1-D launch of
/// `kFlatBlock`-thread blocks; threads past `count` do nothing.
void launchFlat(LoopEmitter &em, StringRef name, Value count,
                function_ref<void(LoopEmitter &, Value)> body);
constexpr int64_t kFlatBlock = 256;

/// A one-thread kernel: `body(em)` runs once (serial steps between kernels).
void launchSingle(LoopEmitter &em, StringRef name,
                  function_ref<void(LoopEmitter &)> body);

/// Row `row` of the 2-D `buffer` as a 1-D strided view.
Value rowView(LoopEmitter &em, Value buffer, Value row);

/// `memref<shape x element, #gpu.address_space<workgroup>>`.
MemRefType workgroupMemRef(ArrayRef<int64_t> shape, Type element);

/// The kernels of each op; each returns the tensors replacing the results.
/// Each checks its runtime contracts through `checks` first. A grouped GEMM
/// whose segments own `everyRowOwned` needs no zeroing of unowned rows.
FailureOr<SmallVector<Value>>
lowerGroupedGemmToGpu(GroupedGemmOp op, LoopEmitter &em, const GemmTile &tile,
                      GpuContractChecks &checks, bool everyRowOwned = false);
FailureOr<SmallVector<Value>> lowerUnpermuteToGpu(UnpermuteOp op,
                                                  LoopEmitter &em,
                                                  GpuContractChecks &checks);
FailureOr<SmallVector<Value>> lowerRouteToGpu(RouteOp op, LoopEmitter &em,
                                              GpuContractChecks &checks);
FailureOr<SmallVector<Value>> lowerBalanceLossToGpu(BalanceLossOp op,
                                                    LoopEmitter &em,
                                                    GpuContractChecks &checks);
FailureOr<SmallVector<Value>> lowerPermuteToGpu(PermuteOp op, LoopEmitter &em,
                                                GpuContractChecks &checks);
FailureOr<SmallVector<Value>> lowerDispatchToGpu(DispatchOp op,
                                                 LoopEmitter &em,
                                                 GpuContractChecks &checks);

/// out [T, H] = Σ_k weights[t, k] · y[row holding pair t·K + k] (f32, k
/// order, rounded to `outElement`); the first row naming a pair holds it.
/// `checks` first checks `rows` (rows_range of `opName`, named `rowsName`).
Value emitCombineKernels(LoopEmitter &em, StringRef name,
                         GpuContractChecks &checks, StringRef opName,
                         StringRef rowsName, Value y, Value rows, Value weights,
                         Type outElement);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_GPUKERNELS_H
