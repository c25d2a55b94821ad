#!/usr/bin/env python3
"""Re-signs annotated tags in place, as `git tag -s` with gpg.format=ssh would have written them.

Usage: sign-tags.py REPO KEY PATTERN. Each tag whose name matches PATTERN (a shell-style pattern over the whole
name, such as `*#dev#1`) keeps its bytes (object, type, name, tagger, message) and gets an SSH signature appended
(`ssh-keygen -Y sign -n git`, in batches of files); the new objects are written with `git hash-object -t tag` and the
references moved with one `git update-ref --stdin`. For benchmarks: 10,000 tags take seconds, not minutes."""
import fnmatch
import os
import subprocess
import sys
import tempfile

repo, key, pattern = sys.argv[1], sys.argv[2], sys.argv[3]
git = lambda *args, **kw: subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, **kw)
refs = [line.split(" ", 1) for line in git("for-each-ref", "--format=%(objectname) %(refname)", "refs/tags").stdout.decode().splitlines()]
refs = [(oid, ref) for oid, ref in refs if fnmatch.fnmatchcase(ref[len("refs/tags/"):], pattern)]
if not refs:
    sys.exit(f"sign-tags: no tags match {pattern}")
# Every tag object's bytes, through one cat-file process.
batch = git("cat-file", "--batch", input="".join(f"{oid}\n" for oid, _ in refs).encode()).stdout
payloads, offset = [], 0
for _ in refs:
    header_end = batch.index(b"\n", offset)
    _, kind, size = batch[offset:header_end].split(b" ")
    assert kind == b"tag", kind
    start = header_end + 1
    payload = batch[start:start + int(size)]
    # git ends a tag's message with a newline before it appends a signature (fast-import keeps whatever it was given).
    payloads.append(payload if payload.endswith(b"\n") else payload + b"\n")
    offset = start + int(size) + 1
with tempfile.TemporaryDirectory() as folder:
    paths = []
    for index, payload in enumerate(payloads):
        path = os.path.join(folder, f"t{index}")
        with open(path, "wb") as out:
            out.write(payload)
        paths.append(path)
    for start in range(0, len(paths), 500):
        subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", key, *paths[start:start + 500]], check=True)
    for path in paths:
        with open(path, "ab") as out, open(path + ".sig", "rb") as signature:
            out.write(signature.read())
    ids = git("hash-object", "-t", "tag", "-w", "--stdin-paths", input="\n".join(paths).encode() + b"\n").stdout.decode().split()
git("update-ref", "--stdin", input="".join(f"update {ref} {new}\n" for (_, ref), new in zip(refs, ids)).encode())
print(f"signed {len(ids)} tags matching {pattern}")
