#!/usr/bin/env python3
"""Writes one prompt artifact of about 1 MiB per YAML shape into DIR, for the loading benchmark: a wide mapping
(labels), a long flow sequence and a long block sequence (stop strings), and many small nested mappings
(messages). Each is valid YAML; the nested one also breaks the schema on every entry, as hostile input would.
Usage: gen-yaml-shapes.py DIR"""
import os, sys
from prompt_base import prompt

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
MiB = 1 << 20
budget = MiB - 4096

def write(name, labels="", stop="", tail=""):
    text = prompt(name, labels, model_extra=stop) + tail
    assert len(text.encode()) <= MiB, (name, len(text))
    with open(os.path.join(out, name + ".yaml"), "w") as f:
        f.write(text)

write("wide-mapping", labels="  labels:\n" + "".join(f"    k{i}: v\n" for i in range(budget // 14)))
write("flow-sequence", stop=", stop: [" + ",".join(["s"] * (budget // 2)) + "]")
write("block-sequence", tail="  examples:\n" + "".join("    - s\n" for _ in range(budget // 8)))
write("nested-mappings", labels="  labels:\n" + "".join(f"    k{i}: {{a: {{b: 1}}}}\n" for i in range(budget // 26)))
