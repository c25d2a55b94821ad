"""Shared by the generators: annotated tags and the run of `git fast-import` over a prepared stream."""
import subprocess


def import_with_tags(out, stream, tags):
    """Appends `tags` (name, commit mark, tagger time, message) to the fast-import `stream`, imports it into the
    repository at `out` and checks out main."""
    for name, mark, when, message in tags:
        data = message.encode()
        stream.append(f"tag {name}\nfrom :{mark}\ntagger Bench <bench@example.com> {when} +0000\ndata {len(data)}\n".encode() + data + b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(stream), cwd=out, check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=out, check=True)
