// A valid layer whose capacity needs buffers the machine cannot give
// (E * C = 2e9 rows: 8 GB of row indices, 5e14 bytes of tokens) is an error
// of the run, not a crash: compiled code cannot test a failed allocation, so
// the runtime abandons the call. The address space is limited so that the
// allocation fails the same way on every machine.
// UNSUPPORTED: asan
// RUN: rm -rf %t && mkdir -p %t
// RUN: moe-compile --layer experts=1,k=1,hidden=65536,inter=1,dtype=f32,capacity_factor=2e9 --target cpu -o %t/huge.so
// RUN: not sh -c 'ulimit -v 3000000; exec moe-run --artifact %t/huge.so --tokens 1' 2>&1 | FileCheck %s
// RUN: moe-compile --layer experts=1,k=1,hidden=65536,inter=1,dtype=f32,capacity_factor=2e9 --target cpu --no-checks -o %t/huge-nochecks.so
// RUN: not sh -c 'ulimit -v 3000000; exec moe-run --artifact %t/huge-nochecks.so --tokens 1' 2>&1 | FileCheck %s
// CHECK: moe-run: error: entry 'moe_layer' ran out of memory: it could not allocate {{[0-9]+}} bytes (the call was abandoned)
