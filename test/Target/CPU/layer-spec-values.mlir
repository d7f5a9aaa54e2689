// Every valid float of a layer spec reaches the module in a form MLIR parses
// and reads back as the same float: %g prints 1e5 as "1e+05", which MLIR's
// lexer reads as the integer 1 followed by junk. Sizes computed from a spec
// that overflow int64 are refused, naming the tensor and its shape.
// RUN: moe-compile --layer experts=8,k=2,hidden=32,inter=16,dtype=f32,scaling=1e5 --emit llvm -o - | FileCheck %s --check-prefix=BIG
// RUN: moe-compile --layer experts=8,k=2,hidden=32,inter=16,dtype=f32,scaling=0.00001,capacity_factor=1e-3 --emit llvm -o - | FileCheck %s --check-prefix=SMALL
// RUN: moe-compile --layer experts=8,k=2,hidden=32,inter=16,dtype=f32,scaling=3.4028235e38,capacity_factor=1e5 --emit llvm -o - | FileCheck %s --check-prefix=MAX
// RUN: moe-compile --layer experts=8,k=2,hidden=32,inter=16,dtype=f32,scaling=1e-45,capacity_factor=0.1 --emit llvm -o - | FileCheck %s --check-prefix=DENORMAL
// RUN: not moe-compile --layer experts=8,k=2,hidden=4611686018427387904,inter=16,dtype=f32 -o %t.bad 2>&1 | FileCheck %s --check-prefix=ROW
// RUN: not moe-compile --layer experts=65536,k=2,hidden=65536,inter=1073741824,dtype=f32 -o %t.bad 2>&1 | FileCheck %s --check-prefix=WEIGHTS
// RUN: not moe-compile --layer experts=1,k=1,hidden=1073741824,inter=805306368,dtype=f32 -o %t.bad 2>&1 | FileCheck %s --check-prefix=TOTAL
// RUN: not moe-compile --layer experts=8,k=2,hidden=32,inter=4611686018427387904,dtype=f32 -o %t.bad 2>&1 | FileCheck %s --check-prefix=GATED

// BIG: \22layer_spec\22: \22experts=8,k=2,{{.*}},scaling=1e+05,
// SMALL: \22layer_spec\22: \22experts=8,k=2,{{.*}},scaling=1e-05,{{.*}},capacity_factor=0.001,
// MAX: \22layer_spec\22: \22experts=8,k=2,{{.*}},scaling=3.4028235e+38,{{.*}},capacity_factor=1e+05,
// DENORMAL: \22layer_spec\22: \22experts=8,k=2,{{.*}},scaling=1e-45,{{.*}},capacity_factor=0.1,

// ROW: error: layer spec: the sizes are too large: x [T, 4611686018427387904] of f32 has more bytes than fit in a 64-bit integer
// WEIGHTS: error: layer spec: the sizes are too large: w_gate_up [65536, 65536, 2147483648] of f32 has more bytes than fit in a 64-bit integer
// TOTAL: error: layer spec: the sizes are too large: w_down [1, 805306368, 1073741824] of f32 (with the tensors before it) has more bytes than fit in a 64-bit integer
// GATED: error: layer spec: inter = 4611686018427387904 is too large: the gated width 2 * inter overflows a 64-bit integer
