#!/usr/bin/env python3
"""Writes hostile artifact files into DIR, one hazard each, every one of which cairn must refuse with
file:line:column, fast: wide mappings, long flow and block sequences, many small nested mappings (each with schema
violations, so that every entry is reported on), duplicates for uniqueItems, an alias bomb, deep nesting, a duplicate
key, NaN and infinity, numbers beyond a double, signed hexadecimal, an application tag, a second document and an
oversized file. Usage: gen-hostile.py DIR"""
import os, sys
from prompt_base import prompt

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
ADAPTER = """apiVersion: cairn/v1
kind: Adapter
metadata: {name: NAME, version: 0.1.0, owner: my-team}
compliance: {accountable: you@example.com, riskClass: minimal, license: Apache-2.0}
spec:
  baseModel: {id: meta-llama/Llama-3.1-8B-Instruct}
  method: lora
  peft: {r: 8, alpha: 16, dropout: 0.05, targetModules: MODULES}
  artifact: {uri: file://a.safetensors, format: safetensors, sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855}
"""

def write(name, text):
    with open(os.path.join(out, name + ".yaml"), "w") as f:
        f.write(text)

MiB = 1 << 20
n = (MiB - 2048) // 14
write("wide-mapping", prompt("wide-mapping", "  labels:\n" + "".join(f"    k{i}: [1]\n" for i in range(n))))
n = (MiB - 2048) // 2
write("long-flow-sequence", prompt("long-flow-sequence").replace("temperature: 0.7}", "temperature: 0.7, stop: [" + ",".join(["[1]"] * (n // 4)) + "]}"))
write("long-block-sequence", prompt("long-block-sequence") + "  stop:\n" + "".join("    - [1]\n" for _ in range((MiB - 2048) // 10)))
write("many-nested-mappings", prompt("many-nested-mappings", "  labels:\n" + "".join(f"    k{i}: {{a: {{b: 1}}}}\n" for i in range((MiB - 2048) // 28))))
write("unique-items", ADAPTER.replace("NAME", "unique-items").replace("MODULES", "[" + ",".join(["q_proj"] * ((MiB - 2048) // 7)) + "]"))
lines = ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
for level in range(1, 10):
    lines.append(f"{chr(97 + level)}: &{chr(97 + level)} [" + ",".join([f"*{chr(96 + level)}"] * 9) + "]")
write("alias-bomb", "\n".join(lines) + "\n")
write("deep-nesting", "a: " + "[" * 100000 + "]" * 100000 + "\n")
write("duplicate-key", prompt("duplicate-key").replace("  owner: my-team\n", "  owner: my-team\n  owner: other-team\n"))
write("nan", prompt("nan", temperature=".nan"))
write("infinity", prompt("infinity", temperature=".inf"))
write("beyond-double", prompt("beyond-double", temperature="1e400"))
write("signed-hex", prompt("signed-hex").replace("temperature: 0.7}", "temperature: 0.7, maxTokens: 0x-1}"))
write("application-tag", prompt("application-tag").replace("owner: my-team", "owner: !!python/object:os.system ls"))
write("second-document", prompt("second-document") + "---\nkind: PromptTemplate\n")
write("oversized", prompt("oversized") + "# " + "x" * (2 * MiB) + "\n")
