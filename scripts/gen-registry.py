#!/usr/bin/env python3
"""Generates a synthetic registry repository for benchmarks: N artifacts over all kinds in a few hundred commits.

Usage: gen-registry.py DIR [N] [COMMITS] [ENV]. Uses `git fast-import`, so 10,000 files take a few seconds.
With ENV, every artifact is also registered (annotated `KIND/NAME@vX.Y.Z` tag at the commit that added it) and
assigned to ENV (`KIND/NAME#ENV#1`), as GTO or `cairn register`/`promote` would tag them."""
import hashlib, os, subprocess, sys
from fastimport import import_with_tags

out, count, commits = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10000, int(sys.argv[3]) if len(sys.argv) > 3 else 200
env = sys.argv[4] if len(sys.argv) > 4 else None
os.makedirs(out, exist_ok=True)
subprocess.run(["git", "init", "-q", "-b", "main", out], check=True)

def sha(text): return hashlib.sha256(text.encode()).hexdigest()

COMPLIANCE = "compliance:\n  accountable: owner@example.com\n  riskClass: limited\n  license: Apache-2.0\n  dataClassification: internal\n  pii: {contains: false}\n"

KIND_SHORT = {"datasets": "dataset", "prompts": "prompt", "adapters": "adapter", "chains": "chain", "deployments": "deployment"}
import re
def identity(path, text):
    name = re.search(r"name: ([a-z0-9-]+)", text).group(1)
    version = re.search(r"version: ([0-9.]+)", text).group(1)
    return f"{KIND_SHORT[path.split('/')[0]]}/{name}", version

def artifact(i):
    kind = i % 5
    if kind == 0:
        return f"datasets/d{i // 100}/ds-{i}.yaml", f"""apiVersion: cairn/v1
kind: DatasetManifest
metadata: {{name: ds-{i}, version: 1.0.{i % 7}, owner: team-{i % 13}}}
{COMPLIANCE}spec:
  source: {{type: s3, uri: s3://bucket/ds-{i}/}}
  files:
    - {{path: train.jsonl, sha256: {sha(str(i))}, size: {i * 10}, records: {i}}}
  license: CC-BY-4.0
"""
    if kind == 1:
        return f"prompts/p{i // 100}/prompt-{i}.yaml", f"""apiVersion: cairn/v1
kind: PromptTemplate
metadata: {{name: prompt-{i}, version: 1.{i % 9}.0, owner: team-{i % 13}, description: Synthetic prompt {i}}}
{COMPLIANCE}spec:
  type: chat
  messages:
    - {{role: system, content: "You answer questions about {{{{topic}}}} for case {i}."}}
    - {{role: user, content: "{{{{question}}}}"}}
  variables:
    - {{name: topic, type: string, required: true}}
    - {{name: question, type: string, required: true, maxLength: 2000}}
  modelConfig: {{provider: openai, model: gpt-4o-mini, temperature: 0.{i % 10}, maxTokens: 256}}
"""
    if kind == 2:
        ds = i - 2
        return f"adapters/a{i // 100}/adapter-{i}.yaml", f"""apiVersion: cairn/v1
kind: Adapter
metadata: {{name: adapter-{i}, version: 0.{i % 5}.1, owner: team-{i % 13}}}
{COMPLIANCE}spec:
  baseModel: {{id: meta-llama/Llama-3.1-8B-Instruct, revision: abc1234}}
  method: lora
  peft: {{r: 16, alpha: 32, dropout: 0.05, targetModules: [q_proj, v_proj]}}
  artifact: {{uri: s3://models/adapter-{i}.safetensors, format: safetensors, sha256: {sha('a' + str(i))}, size: 1024}}
  training:
    datasets: [dataset/ds-{ds}@1.0.{ds % 7}]
"""
    if kind == 3:
        p, a = i - 2, i - 1
        return f"chains/c{i // 100}/chain-{i}.yaml", f"""apiVersion: cairn/v1
kind: Chain
metadata: {{name: chain-{i}, version: 2.0.{i % 3}, owner: team-{i % 13}}}
{COMPLIANCE}spec:
  inputs:
    - {{name: question, type: string, required: true}}
  steps:
    - id: answer
      type: llm
      prompt: prompt/prompt-{p}@1.{p % 9}.0
      adapter: adapter/adapter-{a}@0.{a % 5}.1
      inputMap: {{question: inputs.question, topic: inputs.question}}
  outputs: {{answer: steps.answer.output}}
"""
    c, d = i - 1, i - 4
    return f"deployments/x{i // 100}/deploy-{i}.yaml", f"""apiVersion: cairn/v1
kind: Deployment
metadata: {{name: deploy-{i}, version: 1.0.0, owner: team-{i % 13}}}
{COMPLIANCE}spec:
  target: {{chain: chain/chain-{c}@2.0.{c % 3}}}
  gates:
    - {{dataset: dataset/ds-{d}@1.0.{d % 7}, metric: accuracy, threshold: 0.8}}
  environments: [dev, staging, production]
"""

CONFIG = """apiVersion: cairn/v1
kind: Registry
environments:
  - {name: dev}
  - {name: staging}
  - name: production
    policy: {protected: true}
"""

per_commit = max(1, count // commits)
stream = []
def blob(path, text):
    data = text.encode()
    stream.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

mark_time = 1700000000
tags = []
for c in range(commits):
    start, end = c * per_commit, count if c == commits - 1 else (c + 1) * per_commit
    if start >= count: break
    msg = f"add artifacts {start}-{end - 1}".encode()
    stream.append(f"commit refs/heads/main\nmark :{c + 1}\ncommitter Bench <bench@example.com> {mark_time + c * 60} +0000\ndata {len(msg)}\n".encode() + msg + b"\n")
    if c == 0: blob("registry/cairn.yaml", CONFIG)
    for i in range(start, end):
        path, text = artifact(i)
        blob("registry/" + path, text)
        if env:
            ident, version = identity(path, text)
            tags.append((f"{ident}@v{version}", c + 1, mark_time + c * 60, "register"))
            tags.append((f"{ident}#{env}#1", c + 1, mark_time + c * 60 + 1, f"promote to {env}"))
import_with_tags(out, stream, tags)
print(f"generated {count} artifacts in {min(commits, (count + per_commit - 1) // per_commit)} commits at {out}")
