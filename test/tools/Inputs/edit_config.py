"""Copies model directory SRC to DST with config.json's KEY set to VALUE
(VALUE is JSON: 1000, 0, "text", null). For the bad-input tests."""
import json
import shutil
import sys

src, dst, key, value = sys.argv[1:]
shutil.rmtree(dst, ignore_errors=True)
shutil.copytree(src, dst)
with open(dst + "/config.json") as f:
    config = json.load(f)
config[key] = json.loads(value)
with open(dst + "/config.json", "w") as f:
    json.dump(config, f, indent=1)
