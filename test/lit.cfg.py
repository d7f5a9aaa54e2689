# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MOE"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.moe_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "fuzz",
                   "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.moe_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    [ToolSubst("moe-opt", unresolved="fatal"),
     ToolSubst("moe-compile", unresolved="fatal"),
     ToolSubst("moe-run", unresolved="fatal"),
     ToolSubst("moe-bench", unresolved="fatal"),
     ToolSubst("moe-tune", unresolved="fatal"),
     ToolSubst("llvm-nm", unresolved="fatal"),
     ToolSubst("llvm-readelf", unresolved="fatal")],
    tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# The device objects of a GPU-lowered module, as files (.ptx, .s, .hsaco).
config.substitutions.append(
    ("%extract-gpu-objects",
     "python3 " + os.path.join(config.moe_src_root, "scripts",
                               "extract-gpu-objects.py")))

# A CUDA toolkit: ptxas validates every generated kernel, and libdevice
# resolves the math calls in PTX (DESIGN.md §1).
cuda_home = os.environ.get("CUDA_HOME") or "/usr/local/cuda"
ptxas = os.path.join(cuda_home, "bin", "ptxas")
if os.path.exists(ptxas):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%ptxas", ptxas))

# The directory of the libcuda.so.1 stand-in (test/fake-cuda).
config.substitutions.append(
    ("%fake-cuda-dir", os.path.join(config.moe_obj_root, "test", "fake-cuda")))


def _gpu_present(libraries, init, count):
    """Whether a vendor runtime loads and reports at least one device."""
    import ctypes
    for name in libraries:
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            if getattr(library, init)(0) != 0:
                return False
            devices = ctypes.c_int(0)
            return (getattr(library, count)(ctypes.byref(devices)) == 0
                    and devices.value > 0)
        except AttributeError:
            return False
    return False


# Execution tests on a real GPU (test/Integration/CUDA, .../ROCM).
if _gpu_present(["libcuda.so.1"], "cuInit", "cuDeviceGetCount"):
    config.available_features.add("cuda-device")
if _gpu_present(["libamdhip64.so", "libamdhip64.so.6"], "hipInit",
                "hipGetDeviceCount"):
    config.available_features.add("rocm-device")


# The sanitizer build (scripts/sanitize.sh runs the suite with ASAN_OPTIONS
# set): tests that limit the address space cannot run under ASan, whose
# shadow memory needs terabytes of it.
if "ASAN_OPTIONS" in os.environ:
    config.available_features.add("asan")
