//===- VectorToMfma.cpp - the moe-vector-to-mfma pass ---------------------===//
//
// MLIR 22 converts vector.contract to nvgpu.mma.sync but has no such
// conversion to amdgpu.mfma (IREE keeps its own, driven by its layout
// attributes). This pass is the MFMA counterpart of upstream's vector-to-
// nvgpu conversion for 16 x 16 x 16 contractions: each one, with the
// transfer reads of its operands, the loop-carried accumulators and the
// transfer writes of its result, is distributed over the 64 lanes of a wave
// in the CDNA3 ISA's layout (lane l holds A[l % 16][4 (l / 16) + e], B[4 (l /
// 16) + e][l % 16] and D[4 (l / 16) + e][l % 16], e < 4), indexed by
// gpu.lane_id. The accumulators' types change in place: every value of the
// slice is a 16 x 16 accumulator, so the loops that carry them stay valid
// once all of them are vector<4xf32>.
//
//===----------------------------------------------------------------------===//
#include "moe/Conversion/Passes.h"

#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEVECTORTOMFMA
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;

namespace {

/// v_mfma_f32_16x16x16{f16,bf16_1k}: each lane holds 4 of A, B, C and D.
constexpr int64_t kSide = 16, kPerLane = 4;

/// Whether `contract` is acc + lhs · rhsᵀ on 16 x 16 f16 (or bf16) pieces
/// into a 16 x 16 f32 accumulator: the form MFMA takes.
bool isMfmaContraction(vector::ContractionOp contract) {
  if (contract.getKind() != vector::CombiningKind::ADD)
    return false;
  auto piece =
      VectorType::get({kSide, kSide}, contract.getLhsType().getElementType());
  Type element = piece.getElementType();
  if (!element.isF16() && !element.isBF16())
    return false;
  auto acc = dyn_cast<VectorType>(contract.getAccType());
  if (contract.getLhsType() != piece || contract.getRhsType() != piece ||
      acc != VectorType::get({kSide, kSide},
                             Float32Type::get(element.getContext())))
    return false;
  MLIRContext *ctx = contract.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<SmallVector<AffineExpr, 4>> mmt{{m, k}, {n, k}, {m, n}};
  return contract.getIndexingMapsArray() ==
         AffineMap::inferFromExprList(mmt, ctx);
}

/// A read the lanes can split: a 2-D in-bounds transfer_read of a memref,
/// plain or transposed.
bool isSplittableRead(vector::TransferReadOp read) {
  if (!read || !isa<MemRefType>(read.getBase().getType()) ||
      read.getVectorType().getRank() != 2 || read.getMask() ||
      llvm::any_of(read.getInBoundsValues(), [](bool b) { return !b; }))
    return false;
  AffineMap map = read.getPermutationMap();
  return map.getNumDims() == 2 &&
         (map.isIdentity() ||
          map == AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0},
                                              read.getContext()));
}

bool isSplittableWrite(vector::TransferWriteOp write) {
  return isa<MemRefType>(write.getBase().getType()) &&
         write.getVectorType().getRank() == 2 && !write.getMask() &&
         write.getPermutationMap().isIdentity() &&
         llvm::all_of(write.getInBoundsValues(), [](bool b) { return b; });
}

struct MoeVectorToMfmaPass
    : public mlir::moe::impl::MoeVectorToMfmaBase<MoeVectorToMfmaPass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](gpu::GPUFuncOp kernel) {
      return failed(convertKernel(kernel)) ? WalkResult::interrupt()
                                           : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  /// The values an accumulator flows through: the contractions' results
  /// and accumulators, closed over the loops that carry them.
  static void closeOverLoops(SetVector<Value> &accumulators) {
    auto addLoopSlot = [&](scf::ForOp loop, unsigned i) {
      accumulators.insert(loop.getInitArgs()[i]);
      accumulators.insert(loop.getRegionIterArgs()[i]);
      accumulators.insert(loop.getResult(i));
      accumulators.insert(loop.getBody()->getTerminator()->getOperand(i));
    };
    for (size_t next = 0; next < accumulators.size(); ++next) {
      Value value = accumulators[next];
      if (auto arg = dyn_cast<BlockArgument>(value))
        if (auto loop = dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp());
            loop && arg.getArgNumber() >= loop.getNumInductionVars())
          addLoopSlot(loop, arg.getArgNumber() - loop.getNumInductionVars());
      if (auto loop = value.getDefiningOp<scf::ForOp>())
        addLoopSlot(loop, cast<OpResult>(value).getResultNumber());
      for (OpOperand &use : value.getUses()) {
        Operation *user = use.getOwner();
        if (auto yield = dyn_cast<scf::YieldOp>(user))
          if (auto loop = dyn_cast<scf::ForOp>(yield->getParentOp()))
            addLoopSlot(loop, use.getOperandNumber());
        if (auto loop = dyn_cast<scf::ForOp>(user))
          if (use.getOperandNumber() >= loop.getNumControlOperands())
            addLoopSlot(loop,
                        use.getOperandNumber() - loop.getNumControlOperands());
      }
    }
  }

  LogicalResult convertKernel(gpu::GPUFuncOp kernel) {
    SmallVector<vector::ContractionOp> contracts;
    WalkResult tags = kernel.walk([&](vector::ContractionOp contract) {
      if (isMfmaContraction(contract)) {
        contracts.push_back(contract);
        return WalkResult::advance();
      }
      if (contract->hasAttr(moe::kMmaElementAttrName)) {
        contract.emitOpError("holds the bits of another type in f16 vectors "
                             "but is not a 16x16x16 MFMA contraction");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (tags.wasInterrupted())
      return failure();
    if (contracts.empty())
      return success();

    SetVector<Value> accumulators;
    for (vector::ContractionOp contract : contracts) {
      accumulators.insert(contract.getResult());
      accumulators.insert(contract.getAcc());
    }
    closeOverLoops(accumulators);
    DenseSet<Operation *> converted(contracts.begin(), contracts.end());
    SmallVector<arith::ConstantOp> constants;
    SmallVector<vector::TransferReadOp> accumulatorReads;
    SmallVector<vector::TransferWriteOp> writes;
    for (Value value : accumulators) {
      Operation *def = value.getDefiningOp();
      bool carried = isa<BlockArgument>(value) || isa_and_nonnull<scf::ForOp>(def);
      auto constant = dyn_cast_or_null<arith::ConstantOp>(def);
      if (constant) {
        auto splat = dyn_cast<SplatElementsAttr>(constant.getValue());
        if (!splat)
          return constant.emitOpError(
              "is an MFMA accumulator but not a splat constant");
        constants.push_back(constant);
      } else if (auto read = dyn_cast_or_null<vector::TransferReadOp>(def);
                 read && isSplittableRead(read) &&
                 read.getPermutationMap().isIdentity()) {
        accumulatorReads.push_back(read);
      } else if (!carried && !converted.contains(def)) {
        return (def ? def : kernel.getOperation())->emitError()
               << "a 16x16x16 contraction's accumulator comes from an op "
                  "moe-vector-to-mfma cannot distribute over a wave";
      }
      for (Operation *user : value.getUsers()) {
        if (converted.contains(user) || isa<scf::YieldOp, scf::ForOp>(user))
          continue;
        auto write = dyn_cast<vector::TransferWriteOp>(user);
        if (!write || !isSplittableWrite(write))
          return user->emitOpError(
              "uses an MFMA accumulator in a way moe-vector-to-mfma cannot "
              "distribute over a wave (a 2-D in-bounds transfer_write to "
              "memory can be)");
        writes.push_back(write);
      }
      if (isa<BlockArgument>(value) &&
          !isa<scf::ForOp>(cast<BlockArgument>(value).getOwner()->getParentOp()))
        return kernel.emitOpError("takes an MFMA accumulator as an argument");
    }
    for (vector::ContractionOp contract : contracts)
      for (Value operand : {contract.getLhs(), contract.getRhs()})
        if (!isSplittableRead(operand.getDefiningOp<vector::TransferReadOp>()))
          return contract.emitOpError(
              "has an operand that is not a 2-D in-bounds transfer_read of "
              "memory, which moe-vector-to-mfma cannot distribute over a wave");

    // The loop-carried ones change type in place; the others are replaced
    // (and their ops erased) below.
    SmallVector<Value> carried;
    for (Value value : accumulators)
      if (isa<BlockArgument>(value) || value.getDefiningOp<scf::ForOp>())
        carried.push_back(value);

    OpBuilder b(kernel.getContext());
    Location loc = kernel.getLoc();
    b.setInsertionPointToStart(&kernel.getBody().front());
    Value lane = gpu::LaneIdOp::create(b, loc, /*upperBound=*/nullptr);
    Value side = arith::ConstantIndexOp::create(b, loc, kSide);
    // Lane l's row (A, B) or column (D) and its first element along the
    // other dimension.
    Value laneMinor = arith::RemUIOp::create(b, loc, lane, side);
    Value laneMajor = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, lane, side),
        arith::ConstantIndexOp::create(b, loc, kPerLane));

    auto fragmentType = [&](Type element) {
      return VectorType::get({kPerLane}, element);
    };
    DenseMap<Operation *, Value> fragments;
    for (vector::ContractionOp contract : contracts) {
      SmallVector<Value, 2> operands;
      for (Value operand : {contract.getLhs(), contract.getRhs()}) {
        auto read = operand.getDefiningOp<vector::TransferReadOp>();
        Value &fragment = fragments[read];
        if (!fragment) {
          b.setInsertionPointAfter(read);
          fragment = readFragment(b, read, laneMinor, laneMajor);
        }
        operands.push_back(fragment);
      }
      b.setInsertionPoint(contract);
      if (auto real = contract->getAttrOfType<TypeAttr>(moe::kMmaElementAttrName))
        for (Value &operand : operands)
          operand = arith::BitcastOp::create(
              b, contract.getLoc(), fragmentType(real.getValue()), operand);
      auto mfma = amdgpu::MFMAOp::create(
          b, contract.getLoc(), fragmentType(b.getF32Type()), kSide, kSide,
          kSide, /*blocks=*/1, operands[0], operands[1], contract.getAcc());
      contract.getResult().replaceAllUsesWith(mfma.getDestD());
      contract.erase();
    }
    for (arith::ConstantOp constant : constants) {
      b.setInsertionPoint(constant);
      auto type = fragmentType(b.getF32Type());
      auto splat = cast<SplatElementsAttr>(constant.getValue());
      Value fragment = arith::ConstantOp::create(
          b, constant.getLoc(), type,
          SplatElementsAttr::get(type, splat.getSplatValue<Attribute>()));
      constant.getResult().replaceAllUsesWith(fragment);
      constant.erase();
    }
    for (vector::TransferReadOp read : accumulatorReads) {
      b.setInsertionPoint(read);
      read.getResult().replaceAllUsesWith(
          readAccumulator(b, read, laneMinor, laneMajor));
      read.erase();
    }
    for (Value value : carried)
      value.setType(fragmentType(b.getF32Type()));
    for (vector::TransferWriteOp write : writes) {
      b.setInsertionPoint(write);
      writeFragment(b, write, laneMinor, laneMajor);
      write.erase();
    }
    // The reads' fragments replaced them in every contraction.
    for (auto [read, fragment] : fragments)
      if (read->use_empty())
        read->erase();
    return success();
  }

  /// Lane l's A (or B as N x K) elements: vector position (l % 16, 4 (l /
  /// 16) + e) of `read`, one vector load when that row is contiguous in
  /// memory, else element by element.
  static Value readFragment(OpBuilder &b, vector::TransferReadOp read,
                            Value laneMinor, Value laneMajor) {
    Location loc = read.getLoc();
    Value base = read.getBase();
    ValueRange indices = read.getIndices();
    Type element = read.getVectorType().getElementType();
    auto type = VectorType::get({kPerLane}, element);
    auto add = [&](Value a, Value c) -> Value {
      return arith::AddIOp::create(b, loc, a, c);
    };
    if (read.getPermutationMap().isIdentity())
      return vector::LoadOp::create(
          b, loc, type, base,
          ValueRange{add(indices[0], laneMinor), add(indices[1], laneMajor)});
    // Transposed: vector position (r, c) is memory [i0 + c][i1 + r].
    SmallVector<Value> elements;
    for (int64_t e = 0; e < kPerLane; ++e) {
      Value c = add(laneMajor, arith::ConstantIndexOp::create(b, loc, e));
      elements.push_back(memref::LoadOp::create(
          b, loc, base,
          ValueRange{add(indices[0], c), add(indices[1], laneMinor)}));
    }
    return vector::FromElementsOp::create(b, loc, type, elements);
  }

  /// Lane l's C elements: vector position (4 (l / 16) + e, l % 16) of
  /// `read`, a plain read.
  static Value readAccumulator(OpBuilder &b, vector::TransferReadOp read,
                               Value laneMinor, Value laneMajor) {
    Location loc = read.getLoc();
    ValueRange indices = read.getIndices();
    Value column = arith::AddIOp::create(b, loc, indices[1], laneMinor);
    SmallVector<Value> elements;
    for (int64_t e = 0; e < kPerLane; ++e) {
      Value row = arith::AddIOp::create(
          b, loc, indices[0],
          arith::AddIOp::create(b, loc, laneMajor,
                                arith::ConstantIndexOp::create(b, loc, e)));
      elements.push_back(memref::LoadOp::create(b, loc, read.getBase(),
                                                ValueRange{row, column}));
    }
    return vector::FromElementsOp::create(
        b, loc, VectorType::get({kPerLane}, read.getVectorType().getElementType()),
        elements);
  }

  /// Lane l's D elements go to vector position (4 (l / 16) + e, l % 16).
  static void writeFragment(OpBuilder &b, vector::TransferWriteOp write,
                            Value laneMinor, Value laneMajor) {
    Location loc = write.getLoc();
    ValueRange indices = write.getIndices();
    Value column = arith::AddIOp::create(b, loc, indices[1], laneMinor);
    for (int64_t e = 0; e < kPerLane; ++e) {
      Value row = arith::AddIOp::create(
          b, loc, indices[0],
          arith::AddIOp::create(b, loc, laneMajor,
                                arith::ConstantIndexOp::create(b, loc, e)));
      Value value = vector::ExtractOp::create(b, loc, write.getVector(), e);
      memref::StoreOp::create(b, loc, value, write.getBase(),
                              ValueRange{row, column});
    }
  }
};

} // namespace
