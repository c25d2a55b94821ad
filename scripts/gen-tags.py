#!/usr/bin/env python3
"""Generates a tag-heavy repository for the show/history benchmark: N artifacts x V registered versions x P
promotions, as GTO writes them (annotated tags; one commit per version round; distinct tagger seconds).

Usage: gen-tags.py DIR [N=1000] [V=5] [P=2]. N*V registration tags plus N*P assignment tags (7,000 by default).
Assignments go to dev (the newest version) and staging (the one before), with GTO's per-artifact counters."""
import os, subprocess, sys
from fastimport import import_with_tags

out = sys.argv[1]
count, versions, promotions = (int(sys.argv[i]) if len(sys.argv) > i else d for i, d in ((2, 1000), (3, 5), (4, 2)))
os.makedirs(out, exist_ok=True)
subprocess.run(["git", "init", "-q", "-b", "main", out], check=True)
stream, tags, clock = [], [], 1_700_000_000
for v in range(1, versions + 1):
    msg = f"version round {v}".encode()
    stream.append(f"commit refs/heads/main\nmark :{v}\ncommitter Bench <bench@example.com> {clock} +0000\ndata {len(msg)}\n".encode() + msg + b"\n")
    for i in range(count):
        data = f"name: p{i}\nversion: 1.{v}.0\n".encode()
        stream.append(f"M 100644 inline prompts/p{i}.yaml\ndata {len(data)}\n".encode() + data + b"\n")
    for i in range(count):
        clock += 1
        tags.append((f"prompt/p{i}@v1.{v}.0", v, clock, f"Registering artifact prompt/p{i} version v1.{v}.0"))
stages = ["dev", "staging", "production"]
for i in range(count):
    for p in range(promotions):
        clock += 1
        v = versions - p
        tags.append((f"prompt/p{i}#{stages[p % 3]}#{p + 1}", v, clock, f"Assigning stage {stages[p % 3]} to artifact prompt/p{i} version v1.{v}.0"))
import_with_tags(out, stream, tags)
print(f"generated {count} artifacts x {versions} versions x {promotions} promotions ({len(tags)} annotated tags) at {out}")
