# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "HELIX"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.helix_obj_root, "test")

config.substitutions.append(("%configs", os.path.join(config.test_source_root, "Inputs", "configs")))
config.substitutions.append(("%helix_src_root", config.helix_src_root))
# End-to-end tests use Debian's interpreter, which has python3-numpy.
config.substitutions.append(("%py", "/usr/bin/python3"))
# Tests that need PyPI packages (tokenizers) use the venv of
# scripts/requirements-test.txt; where it is missing, Debian's interpreter
# runs them and they fail naming the missing package.
test_python = config.helix_test_python
if not os.path.exists(test_python):
    test_python = "/usr/bin/python3"
config.substitutions.append(("%test_py", test_python))
config.substitutions.append(
    ("%helix_run", os.path.join(config.helix_tools_dir, "helix-run")))
config.substitutions.append(("%e2e", os.path.join(config.test_source_root, "e2e")))
config.substitutions.append(("%helix_obj_root", config.helix_obj_root))

llvm_config.with_system_environment(
    ["HOME", "INCLUDE", "LIB", "TMP", "TEMP", "ASAN_OPTIONS", "UBSAN_OPTIONS",
     "LSAN_OPTIONS", "OMPI_MCA_mca_base_component_disable_dlclose"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["helix-opt", "helix-import", "helix-plan", "helix-calibrate", "helix-run", "helix-run-module",
     "helix-tokenize"],
    [config.helix_tools_dir])
if config.helix_have_mpi:
    config.available_features.add("mpi")
    # As root mpirun refuses to start without --allow-run-as-root; more ranks
    # than cores need --oversubscribe.
    config.substitutions.append(
        ("%mpirun", config.mpiexec + " --allow-run-as-root --oversubscribe -np"))
