//===- EmuCollectives.cpp - warp collectives of emulated kernels ----------===//
//
// A lane's vector operands go to scratch buffers allocated once at the
// kernel's entry (a collective in a loop must not grow the fiber's stack),
// flattened in row-major order, which is the register order of the PTX
// fragments: register r of a fragment is row r of nvgpu's vector<R x E>.
// An MFMA fragment is a 1-D vector already, in its register order.
//
//===----------------------------------------------------------------------===//
#include "EmuCollectives.h"
#include "EmuAccessChecks.h"

#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// moe_emu.h's MOE_EMU_MATRIX_* of an mma.sync operand (none: unsupported).
std::optional<int32_t> matrixType(Type element, bool tf32) {
  if (element.isF16())
    return 1;
  if (element.isBF16())
    return 2;
  if (element.isF32())
    return tf32 ? std::optional<int32_t>(3) : std::nullopt;
  return std::nullopt;
}

class CollectiveLowering {
public:
  CollectiveLowering(ModuleOp module, func::FuncOp func, bool checks,
                     int subgroupSize,
                     const WorkgroupBuffers &workgroupBuffers)
      : b(module.getContext()), module(module), func(func), checks(checks),
        subgroupSize(subgroupSize), workgroupBuffers(workgroupBuffers) {}

  LogicalResult run() {
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      StringRef dialect = op->getDialect() ? op->getDialect()->getNamespace()
                                           : StringRef();
      if (dialect == "nvgpu" || dialect == "amdgpu" || dialect == "nvvm" ||
          dialect == "rocdl" || isa<gpu::ShuffleOp, gpu::SubgroupReduceOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      LogicalResult done = failure();
      bool wave = isa<amdgpu::MFMAOp>(op);
      if (wave != (subgroupSize == 64) &&
          isa<amdgpu::MFMAOp, nvgpu::LdMatrixOp, nvgpu::MmaSyncOp>(op))
        return op->emitOpError("cannot run on the emulator with ")
               << subgroupSize << "-lane warps: it runs "
               << (wave ? "amdgpu.mfma on 64-lane AMD waves"
                        : "the NVIDIA warp matrix ops on 32-lane warps");
      if (auto mfma = dyn_cast<amdgpu::MFMAOp>(op))
        done = lower(mfma);
      else if (auto load = dyn_cast<nvgpu::LdMatrixOp>(op))
        done = lower(load);
      else if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op))
        done = lower(mma);
      else if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op))
        done = lower(shuffle);
      else if (auto reduce = dyn_cast<gpu::SubgroupReduceOp>(op))
        done = lower(reduce);
      else
        return op->emitOpError("cannot run on the emulator (emu target)");
      if (failed(done))
        return failure();
    }
    return success();
  }

private:
  Value i32(Location loc, int32_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }

  /// A memref<N x T> on the running fiber's stack, allocated at the entry.
  Value scratch(Location loc, Type element, int64_t elements) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&func.getBody().front());
    return memref::AllocaOp::create(
        b, loc, MemRefType::get({elements}, element));
  }

  Value address(Location loc, Value memref, ValueRange indices) {
    return emitElementAddress(b, loc, memref, indices);
  }

  /// Scratch memory holding `value` (a vector), flattened.
  Value spill(Location loc, Value value) {
    auto type = cast<VectorType>(value.getType());
    Value buffer = scratch(loc, type.getElementType(), type.getNumElements());
    auto flat =
        VectorType::get({type.getNumElements()}, type.getElementType());
    Value flattened = vector::ShapeCastOp::create(b, loc, flat, value);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    vector::StoreOp::create(b, loc, flattened, buffer, ValueRange{zero});
    return buffer;
  }

  /// The vector of `type` that the runtime wrote to `buffer`.
  Value reload(Location loc, Value buffer, VectorType type) {
    auto flat =
        VectorType::get({type.getNumElements()}, type.getElementType());
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value loaded = vector::LoadOp::create(b, loc, flat, buffer, zero);
    return vector::ShapeCastOp::create(b, loc, type, loaded);
  }

  LogicalResult lower(nvgpu::LdMatrixOp op) {
    Location loc = op.getLoc();
    b.setInsertionPoint(op);
    Value source = op.getSrcMemref();
    SmallVector<Value> indices(op.getIndices());
    auto sourceType = cast<MemRefType>(source.getType());
    int64_t rowElements = 128 / sourceType.getElementTypeBitWidth();
    Value row;
    if (!checks) {
      row = address(loc, source, indices);
    } else {
      // Only lanes 0 .. 8 numTiles - 1 supply a row (the others' addresses
      // are never read). One of those rows out of bounds is reported; the
      // collective still runs (every lane must arrive) with the row read as
      // zeros.
      Type i64Type = b.getI64Type();
      Value lane = arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          func::CallOp::create(
              b, loc,
              declareEmuFunction(b, module, "moe_emu_id",
                                 b.getFunctionType({b.getI32Type()}, {i64Type})),
              ValueRange{i32(loc, 12)})
              .getResult(0));
      Value supplies = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ult, lane,
          arith::ConstantIndexOp::create(b, loc, 8 * op.getNumTiles()));
      auto supplied = scf::IfOp::create(b, loc, TypeRange{i64Type}, supplies,
                                        /*withElseRegion=*/true);
      b.setInsertionPointToStart(supplied.elseBlock());
      Value unused = arith::ConstantIntOp::create(b, loc, i64Type, 0);
      scf::YieldOp::create(b, loc, unused);
      b.setInsertionPointToStart(supplied.thenBlock());
      AccessBounds bounds =
          emitBoundsTest(b, loc, source, indices, rowElements);
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{i64Type},
                                    bounds.inBounds, /*withElseRegion=*/true);
      b.setInsertionPointToStart(ifOp.thenBlock());
      if (auto it = workgroupBuffers.find(source);
          it != workgroupBuffers.end())
        emitWorkgroupTrack(b, loc, declareWorkgroupTrack(b, module),
                           it->second, source, indices, /*isStore=*/false,
                           rowElements);
      scf::YieldOp::create(b, loc, address(loc, source, indices));
      b.setInsertionPointToStart(ifOp.elseBlock());
      emitOutOfBoundsReport(b, loc, declareOutOfBoundsReport(b, module),
                            /*isStore=*/false,
                            workgroupBuffers.contains(rootBuffer(source)),
                            bounds);
      Value null = arith::ConstantIntOp::create(b, loc, i64Type, 0);
      scf::YieldOp::create(b, loc, null);
      b.setInsertionPointAfter(ifOp);
      scf::YieldOp::create(b, loc, ifOp.getResult(0));
      b.setInsertionPointAfter(supplied);
      row = supplied.getResult(0);
    }
    VectorType resultType = op.getRes().getType();
    Value out = scratch(loc, resultType.getElementType(),
                        resultType.getNumElements());
    Type i32Type = b.getI32Type(), i64Type = b.getI64Type();
    func::FuncOp ldmatrix = declareEmuFunction(
        b, module, "moe_emu_ldmatrix",
        b.getFunctionType({i64Type, i64Type, i32Type, i32Type}, {}));
    func::CallOp::create(b, loc, ldmatrix,
                         ValueRange{row, address(loc, out, {}),
                                    i32(loc, op.getNumTiles()),
                                    i32(loc, op.getTranspose())});
    op.getRes().replaceAllUsesWith(reload(loc, out, resultType));
    op.erase();
    return success();
  }

  LogicalResult lower(nvgpu::MmaSyncOp op) {
    Location loc = op.getLoc();
    std::array<int64_t, 3> shape = op.getMmaShapeAsArray();
    auto [m, n, k] = shape;
    Type input = op.getMatrixA().getType().getElementType();
    Type accumulator = op.getMatrixC().getType().getElementType();
    std::optional<int32_t> ab =
        matrixType(input, op->hasAttr(op.getTf32EnabledAttrName()));
    // MOE_EMU_MATRIX_F32 / F16; -1: not an accumulator the emulator runs.
    int32_t cd = accumulator.isF32() ? 0 : accumulator.isF16() ? 1 : -1;
    bool sixteen = input.isF16() || input.isBF16();
    bool shapeOk = m == 16 && n == 8 &&
                   (sixteen ? (k == 8 || k == 16) : (k == 4 || k == 8));
    if (!ab || cd < 0 || !shapeOk || (accumulator.isF16() && !input.isF16()))
      return op.emitOpError("cannot run on the emulator: it runs m16n8k8 and "
                            "m16n8k16 on f16 / bf16, m16n8k4 and m16n8k8 on "
                            "tf32, with f32 accumulators (or f16 ones for f16 "
                            "inputs)");
    b.setInsertionPoint(op);
    Value a = spill(loc, op.getMatrixA()), bFragment = spill(loc, op.getMatrixB()),
          c = spill(loc, op.getMatrixC());
    VectorType resultType = op.getRes().getType();
    Value d = scratch(loc, resultType.getElementType(),
                      resultType.getNumElements());
    Type i32Type = b.getI32Type(), i64Type = b.getI64Type();
    func::FuncOp mma = declareEmuFunction(
        b, module, "moe_emu_mma_sync",
        b.getFunctionType({i64Type, i64Type, i64Type, i64Type, i32Type,
                           i32Type, i32Type, i32Type, i32Type},
                          {}));
    func::CallOp::create(
        b, loc, mma,
        ValueRange{address(loc, a, {}), address(loc, bFragment, {}),
                   address(loc, c, {}), address(loc, d, {}),
                   i32(loc, int32_t(m)), i32(loc, int32_t(n)),
                   i32(loc, int32_t(k)), i32(loc, *ab), i32(loc, cd)});
    op.getRes().replaceAllUsesWith(reload(loc, d, resultType));
    op.erase();
    return success();
  }

  LogicalResult lower(amdgpu::MFMAOp op) {
    Location loc = op.getLoc();
    uint32_t m = op.getM(), n = op.getN(), k = op.getK();
    auto sourceType = dyn_cast<VectorType>(op.getSourceA().getType());
    auto accType = dyn_cast<VectorType>(op.getDestC().getType());
    Type input = sourceType ? sourceType.getElementType() : Type();
    bool shapeOk = (m == 16 && n == 16 && k == 16) || (m == 32 && n == 32 && k == 8);
    if (!sourceType || !accType || !(input.isF16() || input.isBF16()) ||
        !accType.getElementType().isF32() || !shapeOk || op.getBlocks() != 1 ||
        op.getCbsz() || op.getAbid() || op.getBlgp() != amdgpu::MFMAPermB::none)
      return op.emitOpError("cannot run on the emulator: it runs 16x16x16 "
                            "and 32x32x8 on f16 / bf16 with f32 accumulators, "
                            "one block, without lane permutations");
    b.setInsertionPoint(op);
    Value a = spill(loc, op.getSourceA()), bFragment = spill(loc, op.getSourceB()),
          c = spill(loc, op.getDestC());
    Value d = scratch(loc, accType.getElementType(), accType.getNumElements());
    Type i32Type = b.getI32Type(), i64Type = b.getI64Type();
    func::FuncOp mfma = declareEmuFunction(
        b, module, "moe_emu_mfma",
        b.getFunctionType({i64Type, i64Type, i64Type, i64Type, i32Type,
                           i32Type, i32Type, i32Type, i32Type},
                          {}));
    func::CallOp::create(
        b, loc, mfma,
        ValueRange{address(loc, a, {}), address(loc, bFragment, {}),
                   address(loc, c, {}), address(loc, d, {}),
                   i32(loc, int32_t(m)), i32(loc, int32_t(n)),
                   i32(loc, int32_t(k)), i32(loc, *matrixType(input, false)),
                   i32(loc, 0)});
    op.getDestD().replaceAllUsesWith(reload(loc, d, accType));
    op.erase();
    return success();
  }

  /// The bits of scalar `value` (integer or float, at most 64 bits) as i64,
  /// and back.
  Value toBits(Location loc, Value value) {
    Type type = value.getType();
    unsigned width = type.getIntOrFloatBitWidth();
    if (isa<FloatType>(type))
      value = arith::BitcastOp::create(b, loc, b.getIntegerType(width), value);
    if (width == 64)
      return value;
    return arith::ExtUIOp::create(b, loc, b.getI64Type(), value);
  }
  Value fromBits(Location loc, Value bits, Type type) {
    unsigned width = type.getIntOrFloatBitWidth();
    Value value = bits;
    if (width != 64)
      value = arith::TruncIOp::create(b, loc, b.getIntegerType(width), bits);
    if (isa<FloatType>(type))
      value = arith::BitcastOp::create(b, loc, type, value);
    return value;
  }

  /// Applies `scalar` to each element of `value` (a scalar or a 1-D vector).
  Value elementwise(Location loc, Value value,
                    function_ref<Value(Value)> scalar) {
    auto vector = dyn_cast<VectorType>(value.getType());
    if (!vector)
      return scalar(value);
    Value result = arith::ConstantOp::create(b, loc, vector,
                                             b.getZeroAttr(vector));
    for (int64_t i = 0; i < vector.getNumElements(); ++i) {
      Value element = vector::ExtractOp::create(b, loc, value, i);
      result = vector::InsertOp::create(b, loc, scalar(element), result, i);
    }
    return result;
  }

  LogicalResult lower(gpu::ShuffleOp op) {
    Location loc = op.getLoc();
    Type element = getElementTypeOrSelf(op.getValue().getType());
    if (element.getIntOrFloatBitWidth() > 64)
      return op.emitOpError("cannot run on the emulator: values of more "
                            "than 64 bits");
    b.setInsertionPoint(op);
    int32_t mode = 0;
    switch (op.getMode()) {
    case gpu::ShuffleMode::XOR:
      mode = 0;
      break;
    case gpu::ShuffleMode::UP:
      mode = 1;
      break;
    case gpu::ShuffleMode::DOWN:
      mode = 2;
      break;
    case gpu::ShuffleMode::IDX:
      mode = 3;
      break;
    }
    Type i32Type = b.getI32Type(), i64Type = b.getI64Type();
    func::FuncOp shuffle = declareEmuFunction(
        b, module, "moe_emu_shuffle",
        b.getFunctionType({i64Type, i32Type, i32Type, i32Type, i64Type, i32Type},
                          {}));
    Value out = scratch(loc, i64Type, 2);
    Value outAddress = address(loc, out, {});
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value validBits;
    Value result = elementwise(loc, op.getValue(), [&](Value scalar) {
      func::CallOp::create(b, loc, shuffle,
                           ValueRange{toBits(loc, scalar), op.getOffset(),
                                      op.getWidth(), i32(loc, mode),
                                      outAddress, i32(loc, subgroupSize)});
      validBits = memref::LoadOp::create(b, loc, out, ValueRange{one});
      return fromBits(loc,
                      memref::LoadOp::create(b, loc, out, ValueRange{zero}),
                      scalar.getType());
    });
    Value valid = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne, validBits,
        arith::ConstantIntOp::create(b, loc, i64Type, 0));
    op.getShuffleResult().replaceAllUsesWith(result);
    op.getValid().replaceAllUsesWith(valid);
    op.erase();
    return success();
  }

  LogicalResult lower(gpu::SubgroupReduceOp op) {
    Location loc = op.getLoc();
    Type element = getElementTypeOrSelf(op.getValue().getType());
    std::optional<int32_t> scalarType;
    if (element.isF16())
      scalarType = 0x110;
    else if (element.isBF16())
      scalarType = 0x310;
    else if (element.isF32())
      scalarType = 0x120;
    else if (element.isF64())
      scalarType = 0x140;
    else if (element.isInteger() && element.getIntOrFloatBitWidth() <= 64)
      scalarType = int32_t(element.getIntOrFloatBitWidth());
    if (!scalarType)
      return op.emitOpError("cannot run on the emulator: it reduces f16, "
                            "bf16, f32, f64 and integers of up to 64 bits");
    b.setInsertionPoint(op);
    Type i32Type = b.getI32Type(), i64Type = b.getI64Type();
    func::FuncOp reduce = declareEmuFunction(
        b, module, "moe_emu_subgroup_reduce",
        b.getFunctionType({i64Type, i32Type, i32Type, i32Type, i32Type, i32Type},
                          {i64Type}));
    int32_t clusterSize = int32_t(op.getClusterSize().value_or(subgroupSize));
    int32_t clusterStride = int32_t(op.getClusterStride());
    Value result = elementwise(loc, op.getValue(), [&](Value scalar) {
      Value bits =
          func::CallOp::create(
              b, loc, reduce,
              ValueRange{toBits(loc, scalar), i32(loc, int32_t(op.getOp())),
                         i32(loc, *scalarType), i32(loc, clusterSize),
                         i32(loc, clusterStride), i32(loc, subgroupSize)})
              .getResult(0);
      return fromBits(loc, bits, scalar.getType());
    });
    op.getResult().replaceAllUsesWith(result);
    op.erase();
    return success();
  }

  OpBuilder b;
  ModuleOp module;
  func::FuncOp func;
  bool checks;
  int subgroupSize;
  const WorkgroupBuffers &workgroupBuffers;
};

} // namespace

LogicalResult mlir::moe::lowerEmuCollectives(
    ModuleOp module, func::FuncOp func, bool checks, int subgroupSize,
    const WorkgroupBuffers &workgroupBuffers) {
  return CollectiveLowering(module, func, checks, subgroupSize,
                            workgroupBuffers)
      .run();
}
