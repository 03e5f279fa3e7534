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
config.substitutions.append(("%helix_obj_root", config.helix_obj_root))

llvm_config.with_system_environment(
    ["HOME", "INCLUDE", "LIB", "TMP", "TEMP", "ASAN_OPTIONS", "UBSAN_OPTIONS"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["helix-opt", "helix-import", "helix-plan"], [config.helix_tools_dir])
