#!/usr/bin/env python3
"""Writes one prompt artifact of about 1 MiB per YAML shape into DIR, for the loading benchmark: a wide mapping
(labels), a long flow sequence and a long block sequence (stop strings), and many small nested mappings
(messages). Each is valid YAML; the nested one also breaks the schema on every entry, as hostile input would.
Usage: gen-yaml-shapes.py DIR"""
import os, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
HEAD = """apiVersion: cairn/v1
kind: PromptTemplate
metadata:
  name: NAME
  version: 0.1.0
  owner: my-team
LABELS
compliance:
  accountable: you@example.com
  riskClass: minimal
  license: Apache-2.0
spec:
  type: text
  template: "Write a one-line greeting for {{name}}."
  variables:
    - {name: name, type: string, required: true}
  modelConfig: {provider: openai, model: gpt-4o-mini, temperature: 0.7STOP}
"""
MiB = 1 << 20
budget = MiB - 4096

def write(name, labels="", stop="", tail=""):
    text = HEAD.replace("NAME", name).replace("LABELS\n", labels).replace("STOP", stop) + tail
    assert len(text.encode()) <= MiB, (name, len(text))
    with open(os.path.join(out, name + ".yaml"), "w") as f:
        f.write(text)

write("wide-mapping", labels="  labels:\n" + "".join(f"    k{i}: v\n" for i in range(budget // 14)))
write("flow-sequence", stop=", stop: [" + ",".join(["s"] * (budget // 2)) + "]")
write("block-sequence", tail="  examples:\n" + "".join("    - s\n" for _ in range(budget // 8)))
write("nested-mappings", labels="  labels:\n" + "".join(f"    k{i}: {{a: {{b: 1}}}}\n" for i in range(budget // 26)))
