#!/usr/bin/env python3
"""Writes the commit a binary was built from into it, where `cairn version` reads it (Sources/CBuildStamp).

Usage: stamp-commit.py BINARY [COMMIT]. COMMIT defaults to `git rev-parse HEAD`, with "-dirty" when the working tree
has uncommitted changes to tracked files. The 48 bytes after the marker are overwritten in place (the file keeps its
size); a binary without exactly one marker is refused."""
import subprocess, sys

MARKER = b"cairn-build-commit:"
WIDTH = 48

binary = sys.argv[1]
if len(sys.argv) > 2:
    commit = sys.argv[2]
else:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    if subprocess.run(["git", "diff", "--quiet", "HEAD", "--"]).returncode != 0:
        commit += "-dirty"
value = commit.encode()
if not value or len(value) >= WIDTH or value[:1] == b"-":
    sys.exit(f"stamp-commit: '{commit}' does not fit the stamp")
data = bytearray(open(binary, "rb").read())
first = data.find(MARKER)
if first < 0 or data.find(MARKER, first + 1) >= 0:
    sys.exit(f"stamp-commit: {binary} has {'no' if first < 0 else 'more than one'} stamp marker")
start = first + len(MARKER)
data[start:start + WIDTH] = value + b"\0" * (WIDTH - len(value))
with open(binary, "r+b") as f:
    f.write(data)
print(f"stamp-commit: {binary} is {commit}")
