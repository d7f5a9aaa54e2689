//===- Passes.td - moe lowering passes ---------------------*- tablegen -*-===//
#ifndef MOE_CONVERSION_PASSES_TD
#define MOE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoeLowerToLoops : Pass<"moe-lower-to-loops", "::mlir::ModuleOp"> {
  let summary = "Lower the primitive moe ops to scf loops over memrefs";
  let description = [{
    Replaces every moe op (after `moe-decompose`) by loops over memrefs,
    bracketed by `bufferization.to_buffer` / `to_tensor` so the surrounding
    tensor code bufferizes as usual. The loops are memory-safe for every input
    value: out-of-range ids route nowhere, offsets, counts and rows are clamped.

    With `checks` (the default) the runtime contracts of DESIGN.md §4 are
    compiled in: every function holding moe ops gets a trailing
    `memref<6xi64> {moe.status}` argument in which the first violation is
    recorded (docs/abi.md), and the module gets a `moe.contracts` attribute
    describing each check site.
  }];
  let options = [
    Option<"checks", "checks", "bool", /*default=*/"true",
           "Compile the runtime contract checks in">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def MoeLowerToGpu : Pass<"moe-lower-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower the primitive moe ops to gpu.launch kernels over memrefs";
  let description = [{
    The shared GPU lowering of DESIGN.md §5: replaces moe ops (after
    `moe-decompose`) by host code that launches kernels written in the gpu
    dialect, bracketed by `bufferization.to_buffer` / `to_tensor`.
    `moe.grouped_gemm` (every form) becomes a tiled kernel with workgroup
    memory and barriers over a grid of ceil(M/BM) + E row-tiles, each finding
    its expert at run time; `moe.unpermute` and the combine form become
    deterministic combine kernels. Every kernel clamps what it reads, so no
    input makes it access memory out of bounds. With `checks`, each function
    holding moe ops gets the status buffer as a new last argument and each
    runtime contract is checked by two kernels before the op's own
    (GpuContractChecks.h), reporting the violation the CPU lowering would;
    the module's `moe.contracts` lists the sites. Every grouped GEMM must
    carry its `#moe.tile` (`moe-select-tiles` gives the chip's).
  }];
  let options = [
    Option<"checks", "checks", "bool", /*default=*/"true",
           "Compile the runtime contract checks in">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def MoeAlignWorkgroupBuffers
    : Pass<"moe-align-workgroup-buffers", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Align every kernel's workgroup buffers to 16 bytes";
  let description = [{
    Runs after outlining. A workgroup buffer becomes an LLVM global aligned
    to its attribution's `llvm.align` (none: its element size), but the
    kernels access it in 16-byte pieces: cp.async copies, ldmatrix rows and
    vector loads, through views of one byte buffer. Every workgroup
    attribution without an `llvm.align` gets 16.
  }];
}

def MoeNameGpuKernels : Pass<"moe-name-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Gather every gpu.launch into the one kernel module moe_kernels";
  let description = [{
    Runs before `gpu-kernel-outlining`. The kernels `moe-lower-to-gpu`
    creates are already named after their op and step (`route`,
    `permute_rank`, `grouped_gemm`, ...) in the module `moe_kernels`; the
    launches made from dense linalg work (router matmul, shared expert) get
    the name `dense` and the same module. Outlining then makes one
    `gpu.module` (so one device binary) per compiled module, with
    readable, unique kernel names (`dense`, `dense_0`, ...).
  }];
}

def MoeFreeHostBuffers : Pass<"moe-free-host-buffers", "::mlir::ModuleOp"> {
  let summary = "Free every buffer a GPU host function allocates and does not return";
  let description = [{
    The upstream deallocation pipeline rejects `gpu.launch` /
    `gpu.launch_func`, so the GPU targets free their host function's buffers
    with this simpler rule, exact for the code `moe-lower-to-gpu` and
    `moe-check-shapes` make: in every block, each `memref.alloc` (or the
    result of an `scf.if` whose branches each pass on a buffer they
    allocated) that the block's terminator does not pass on (as a view or a
    cast) is freed right before the terminator (kernels run in order on one
    stream, so the buffers are dead by then). Functions of several blocks
    are left alone.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def MoeHostBuffersToGpu : Pass<"moe-host-buffers-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Put a GPU host function's buffers in device memory";
  let description = [{
    Every `memref.alloc` of a host function (outside `gpu.launch`) becomes
    a `gpu.alloc` (mgpuMemAlloc: device memory on CUDA and HIP), every
    `memref.copy` a `gpu.memcpy` (mgpuMemcpy) and every `memref.dealloc` of
    such a buffer a `gpu.dealloc` (mgpuMemFree), all synchronous (run
    `gpu-async-region` after outlining to chain them with the launches on
    one stream). Any other host op that reads or writes a buffer is an
    error: the host cannot dereference device memory.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def MoeVectorToMmaSync
    : Pass<"moe-vector-to-mma-sync", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Turn the vector.contract ops of GPU kernels into nvgpu.mma.sync";
  let description = [{
    Upstream MLIR's vector-to-nvgpu conversion (the `use-nvgpu` mode of
    `convert-vector-to-gpu`): each vector.contract whose operands fit a warp
    matrix op, with the transfer reads and writes around it, becomes
    `nvgpu.mma.sync`, `nvgpu.ldmatrix` and per-lane vector loads and stores
    indexed by `gpu.lane_id`. A contraction that does not fit is left as it
    is, and so is a bf16 one (MLIR 22's conversion has no bf16 fragments).
    A contraction tagged `moe.mma_element = bf16` holds bf16 data as f16
    bit patterns (the grouped GEMM's tensor-core kernel stages it so): it
    converts as f16 and its mma.sync ops then take bf16 fragments; one that
    does not convert is an error.
    The conversion runs on one contraction's slice at a time: MLIR 22's
    pass, run on a whole kernel, starts a slice at every elementwise op,
    scalar index arithmetic included, and fails on the first one.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def MoeVectorToMfma
    : Pass<"moe-vector-to-mfma", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Turn the 16x16x16 vector.contract ops of GPU kernels into amdgpu.mfma";
  let description = [{
    The MFMA counterpart of moe-vector-to-mma-sync (MLIR 22 has no
    vector-to-amdgpu conversion of contractions). Each `vector.contract`
    computing acc + lhs · rhsᵀ on 16 x 16 f16 (or bf16) pieces into a 16 x 16
    f32 accumulator becomes `amdgpu.mfma 16x16x16` over a 64-lane wave, with
    its slice distributed in the CDNA3 ISA's layout by `gpu.lane_id`: the
    operands' transfer reads become per-lane loads of 4 elements (lane l:
    row l % 16, elements 4 (l / 16) .. + 3; a transposed read loads them one
    by one), the accumulators carried by scf.for loops become vector<4xf32>
    (lane l: rows 4 (l / 16) .. + 3 of column l % 16), as do their splat
    constants, and the transfer writes of the results per-lane stores. A
    contraction tagged `moe.mma_element = bf16` (bf16 data as f16 bits)
    multiplies bf16. Contractions of other shapes are left; a slice the
    pass cannot distribute (an accumulator from or into another op, an
    operand that is not a 2-D in-bounds read of memory) is an error naming
    the op.
  }];
  let dependentDialects = [
    "::mlir::amdgpu::AMDGPUDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def MoeBf16MmaToNvvm
    : Pass<"moe-bf16-mma-to-nvvm", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lower bf16 nvgpu.mma.sync to nvvm.mma.sync";
  let description = [{
    MLIR 22's nvgpu-to-nvvm conversion has no bf16 mma.sync ("failed to
    deduce operand PTX types"). This pass, run just before it on the NVVM
    target, rewrites each m16n8k16 nvgpu.mma.sync on bf16 with f32
    accumulators into `nvvm.mma.sync` (row x col, bf16 x bf16 -> f32): each
    32-bit register of A and B is its two bf16 elements as one i32, C is its
    four f32, and D is unpacked from the result struct into the vector the
    op returned.
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def MoeGpuToEmu : Pass<"moe-gpu-to-emu", "::mlir::ModuleOp"> {
  let summary = "Make the emulator's device module from the outlined GPU kernels";
  let description = [{
    The emu target of DESIGN.md §5, on a module in the outlined form. Its
    one `gpu.module` becomes the module of the emu device binary (a host
    shared object; the host code is dropped, it lives in the artifact as for
    nvptx and rocdl): each kernel `K` becomes the private host function
    `__moe_emu_kernel_K`, whose thread, block, block-dim and grid-dim ids
    are calls of `moe_emu_id(which)`, whose `gpu.barrier` is a call of
    `moe_emu_barrier()` (a fiber switch in libmoe_runtime) and whose
    workgroup buffers are private globals (blocks run one at a time). The
    warp collectives `nvgpu.ldmatrix`, `nvgpu.mma.sync`, `gpu.shuffle` and
    `gpu.subgroup_reduce` (32-lane warps) and `amdgpu.mfma` (64-lane waves,
    `subgroup-size=64`) become calls of `moe_emu_ldmatrix`,
    `moe_emu_mma_sync`, `moe_emu_shuffle`, `moe_emu_subgroup_reduce` and
    `moe_emu_mfma`, each
    lane passing its operands (fragments through stack scratch memory); the
    runtime computes them once the whole warp has arrived. `gpu.lane_id` is
    `moe_emu_id(12)`, or `moe_emu_id(13)` with 64-lane waves. Asynchronous
    copies (`nvgpu.device_async_copy`, `device_async_create_group`,
    `device_async_wait`) become `moe_emu_async_copy` / `_commit` / `_wait`:
    a copy lands when its thread waits for its group, so a kernel that
    reads before waiting sees the old contents. A gpu or vendor op the emulator cannot run is an error
    that names it. With `checks`, every memref load, store and atomic (and
    1-D vector load and store) of a kernel tests its indices first and, when
    one is out of bounds, skips the access (a load gives 0) and calls
    `moe_emu_out_of_bounds`, which makes the launch fail naming the kernel,
    block and thread; an ldmatrix row out of bounds is reported and reads as
    zeros.
  }];
  let options = [
    Option<"checks", "checks", "bool", /*default=*/"true",
           "Check the bounds of every kernel memory access">,
    Option<"subgroupSize", "subgroup-size", "int", /*default=*/"32",
           "The lanes of a warp: 32 (NVIDIA; gpu.lane_id is moe_emu_id(12)) "
           "or 64 (an AMD wave; moe_emu_id(13)); amdgpu.mfma needs 64, the "
           "other collectives 32">,
  ];
  let dependentDialects = [
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def MoeEmuTrampolines : Pass<"moe-emu-trampolines", "::mlir::ModuleOp"> {
  let summary = "Export each emulated kernel under its name (LLVM dialect)";
  let description = [{
    Runs after the device module is in the LLVM dialect. For every kernel
    `__moe_emu_kernel_K` it defines the exported `void K(void **params)`,
    which loads each argument through `params` (cuLaunchKernel's
    convention, which the host code's mgpuLaunchKernel call uses) and calls
    the kernel; the runtime runs it once per emulated thread. The kernels'
    workgroup buffers become thread-local, so launches on several host
    threads at once do not share them.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def MoeCopiesToLinalg : Pass<"moe-copies-to-linalg"> {
  let summary = "Rewrite memref.copy as linalg.copy; drop copies onto themselves";
  let description = [{
    The LLVM lowering of a strided `memref.copy` calls `memrefCopy` from
    MLIR's C runner utilities, which artifacts do not link; `linalg.copy`
    lowers to loops. Bufferization leaves copies of a view onto itself where
    a tile is written back in place: those are removed.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // MOE_CONVERSION_PASSES_TD
