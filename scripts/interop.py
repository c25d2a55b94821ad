#!/usr/bin/env python3
"""Checks that cairn and GTO read each other's tags the same way, on generated repositories.

Usage: interop.py CAIRN GTO. Both directions:
  1. GTO writes the tags (register, assign, re-assign, unassign, deregister, deprecate); `cairn show --format json`
     must equal `gto show --json`, and `cairn history` must name the same events as `gto history`.
  2. cairn writes them (register --all, promote, a rollback that writes a hold); `gto show --json` must equal
     `cairn show --format json`, and GTO must not trip over cairn's hold tags.
GTO stamps tags with the wall clock and breaks ties arbitrarily, so every tag-writing step waits a second."""
import json, os, shutil, subprocess, sys, tempfile, time

cairn, gto = sys.argv[1], sys.argv[2]
top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
failures = []


def run(args, cwd, check=True):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        sys.exit(f"interop: {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def step(args, cwd):
    """A tag-writing step: run it, then wait so that the next tag gets a later second."""
    run(args, cwd)
    time.sleep(1.05)


def git_repo(path):
    os.makedirs(path)
    run(["git", "init", "-q", "-b", "main"], path)
    run(["git", "config", "user.name", "Interop"], path)
    run(["git", "config", "user.email", "interop@example.com"], path)


def commit(path, message):
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-qm", message], path)
    return run(["git", "rev-parse", "HEAD"], path).strip()


def shown(output):
    """`show` JSON without the environments nobody is assigned to (GTO lists only stages in use)."""
    state = json.loads(output)
    for row in state.values():
        row["stage"] = {name: version for name, version in row["stage"].items() if version is not None}
    return state


def compare(label, cairn_state, gto_state):
    if cairn_state == gto_state:
        print(f"interop: {label}: cairn and GTO agree: {json.dumps(gto_state, sort_keys=True)[:400]}")
    else:
        failures.append(label)
        print(f"interop: {label}: MISMATCH\n  cairn: {json.dumps(cairn_state, sort_keys=True)}\n  gto:   {json.dumps(gto_state, sort_keys=True)}")


def gto_writes(work):
    repo = os.path.join(work, "gto-wrote")
    git_repo(repo)
    commits = []
    for n in range(3):
        with open(os.path.join(repo, "model.txt"), "w") as f:
            f.write(f"round {n}\n")
        commits.append(commit(repo, f"round {n}"))
    for name, version, ref in [("prompt/alpha", "v1.0.0", 0), ("prompt/alpha", "v1.1.0", 1), ("prompt/alpha", "v2.0.0", 2),
                               ("chain/beta", "v0.1.0", 0), ("chain/beta", "v0.2.0", 2), ("dataset/gamma", "v1.0.0", 0)]:
        step([gto, "register", name, commits[ref], "--version", version], repo)
    for name, version, stage in [("prompt/alpha", "v1.0.0", "dev"), ("prompt/alpha", "v1.1.0", "dev"), ("prompt/alpha", "v1.0.0", "production"),
                                 ("prompt/alpha", "v2.0.0", "staging"), ("chain/beta", "v0.1.0", "dev"), ("chain/beta", "v0.2.0", "dev"),
                                 ("dataset/gamma", "v1.0.0", "dev"), ("prompt/alpha", "v1.1.0", "production")]:
        step([gto, "assign", name, f"{name}@{version}", "--stage", stage], repo)
    step([gto, "deprecate", "chain/beta", "v0.2.0", "dev"], repo)      # unassign: dev falls back to v0.1.0
    step([gto, "deprecate", "prompt/alpha", "v1.1.0"], repo)           # deregister: dev and production fall back
    step([gto, "deprecate", "dataset/gamma"], repo)                    # deprecate the artifact: not shown
    compare("GTO wrote, show", shown(run([cairn, "show", "--format", "json"], repo)), shown(run([gto, "show", "--json"], repo)))

    def events(output, key):
        return sorted((e["artifact"], e["event"], e.get("version"), e.get("stage"), e["ref"]) for e in json.loads(output) if key(e))
    ours = events(run([cairn, "history", "--format", "json"], repo), lambda e: True)
    theirs = events(run([gto, "history", "--json"], repo), lambda e: e["event"] != "creation")
    compare("GTO wrote, history", {"events": ours}, {"events": theirs})


def gto_names(work):
    """GTO's own names (no cairn kind: `churn`, `models/churn`, `nn:model`) and its artifacts.yaml, as a GTO team has
    them: GTO writes the repository, cairn reads a clone of it; then cairn writes tags there and GTO reads them."""
    repo = os.path.join(work, "gto-names")
    git_repo(repo)
    os.makedirs(os.path.join(repo, "models"))
    with open(os.path.join(repo, "models", "churn.pkl"), "w") as f:
        f.write("weights 1\n")
    with open(os.path.join(repo, "artifacts.yaml"), "w") as f:
        f.write("churn:\n  type: model\n  path: models/churn.pkl\n  description: predicts churn\n"
                "segment:\n  type: model\n  path: models/segment.pkl\n  labels: [tabular]\n")
    first = commit(repo, "models")
    with open(os.path.join(repo, "models", "churn.pkl"), "w") as f:
        f.write("weights 2\n")
    second = commit(repo, "churn retrained")
    for name, ref, version in [("churn", first, "v3.0.0"), ("churn", second, "v3.1.0"), ("models/churn", first, "v0.1.0"),
                               ("nn:model", second, "v1.0.0"), ("old-model", first, "v0.0.1")]:
        step([gto, "register", name, ref, "--version", version], repo)
    for name, version, stage in [("churn", "v3.0.0", "prod"), ("churn", "v3.1.0", "staging"), ("models/churn", "v0.1.0", "dev"),
                                 ("nn:model", "v1.0.0", "dev"), ("nn:model", "v1.0.0", "prod")]:
        step([gto, "assign", name, "--version", version, "--stage", stage], repo)
    step([gto, "deprecate", "nn:model", "v1.0.0", "prod"], repo)     # unassign
    step([gto, "deprecate", "old-model"], repo)                       # deprecate the artifact
    clone = os.path.join(work, "gto-names-clone")
    run(["git", "clone", "-q", repo, clone], work)

    def both(label, path):
        compare(f"{label}, show", json.loads(run([cairn, "show", "--format", "json"], path)), json.loads(run([gto, "show", "--json"], path)))
        compare(f"{label}, show --deprecated", json.loads(run([cairn, "show", "--deprecated", "--format", "json"], path)),
                json.loads(run([gto, "show", "--deprecated", "--json"], path)))
        for name in ["churn", "models/churn", "nn:model"]:
            compare(f"{label}, show {name}", [v["version"] for v in json.loads(run([cairn, "show", name, "--format", "json"], path))],
                    [v["version"] for v in json.loads(run([gto, "show", name, "--json"], path))])
        ours = sorted((e["artifact"], e["event"], e.get("version"), e.get("stage"), e["ref"]) for e in json.loads(run([cairn, "history", "--format", "json"], path)))
        theirs = sorted((e["artifact"], e["event"], e.get("version"), e.get("stage"), e["ref"])
                        for e in json.loads(run([gto, "history", "--json"], path)) if e["event"] != "creation")
        compare(f"{label}, history", {"events": ours}, {"events": theirs})

    both("GTO names, clone of what GTO wrote", clone)
    text = run([cairn, "show", "churn"], clone)
    if "description: predicts churn" not in text:
        failures.append("cairn show churn does not print artifacts.yaml's description")
    if "*segment" not in run([cairn, "show"], clone):
        failures.append("cairn show does not list segment, annotated in artifacts.yaml, as not registered")
    # cairn writes GTO's tags for names without a kind (there is no cairn.yaml: stages are GTO's).
    reg = ["--actor", "interop"]
    with open(os.path.join(clone, "models", "churn.pkl"), "w") as f:
        f.write("weights 3\n")
    commit(clone, "churn retrained again")
    step([cairn, "register", "churn@3.2.0"] + reg, clone)
    step([cairn, "promote", "churn@3.2.0", "--to", "staging"] + reg, clone)
    step([cairn, "promote", "churn@3.1.0", "--to", "prod"] + reg, clone)
    step([cairn, "unassign", "models/churn", "--env", "dev"] + reg, clone)
    step([cairn, "register", "nn:model@1.1.0"] + reg, clone)
    both("GTO names, cairn wrote", clone)


def cairn_writes(work):
    repo = os.path.join(work, "cairn-wrote")
    git_repo(repo)
    shutil.copytree(os.path.join(top, "registry-example"), os.path.join(repo, "registry"))
    commit(repo, "registry")
    reg = ["--path", "registry", "--actor", "interop"]
    step([cairn, "register", "--all"] + reg, repo)
    path = os.path.join(repo, "registry", "prompts", "sentiment-classify.yaml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("version: 0.4.2", "version: 0.5.0").replace("escalated sooner", "escalated sooner (0.5.0)"))
    commit(repo, "sentiment-classify 0.5.0")
    step([cairn, "register", "prompt/sentiment-classify@0.5.0"] + reg, repo)
    for version in ["prompt/support-triage@1.3.0", "prompt/sentiment-classify@0.4.2", "prompt/sentiment-classify@0.5.0"]:
        step([cairn, "promote", version, "--to", "dev"] + reg, repo)
    step([cairn, "rollback", "prompt/sentiment-classify", "--env", "dev", "--reason", "interop"] + reg, repo)
    # The chain pins sentiment-classify 0.4.2, which dev runs again after the rollback.
    step([cairn, "promote", "chain/support-router@1.4.0", "--to", "dev"] + reg, repo)
    # staging takes only what dev has deployed (promoteFromPrevious).
    run([cairn, "apply", "--env", "dev", "--auto-approve"] + reg, repo)
    step([cairn, "promote", "prompt/support-triage@1.3.0", "--to", "staging"] + reg, repo)
    holds = run(["git", "tag", "-l", "cairn-hold/*"], repo).split()
    if not holds:
        failures.append("cairn wrote no hold")
    compare("cairn wrote, show", shown(run([gto, "show", "--json"], repo)), shown(run([cairn, "show", "--format", "json", "--path", "registry"], repo)))


with tempfile.TemporaryDirectory(prefix="cairn-interop-") as work:
    gto_writes(work)
    gto_names(work)
    cairn_writes(work)
if failures:
    sys.exit(f"interop: {len(failures)} check(s) failed: {', '.join(failures)}")
print("interop: all checks passed")
