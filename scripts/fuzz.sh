#!/usr/bin/env bash
# make fuzz: builds cairn-fuzz with libFuzzer (-sanitize=fuzzer) in .build-fuzz and runs each target for
# FUZZ_SECONDS (default 60) from fuzz/corpus/TARGET. A crash, a hang (over FUZZ_TIMEOUT seconds, default 10) or
# a sanitizer report is copied into fuzz/regressions/TARGET, which the test suite replays. FUZZ_TARGETS picks targets.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"
seconds="${FUZZ_SECONDS:-60}"
timeout="${FUZZ_TIMEOUT:-10}"
targets="${FUZZ_TARGETS:-yaml tags plan cache}"
swift build --scratch-path .build-fuzz --product cairn-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DCAIRN_FUZZ -Xswiftc -use-ld=lld
binary=.build-fuzz/debug/cairn-fuzz
status=0
for target in $targets; do
    work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-fuzz-$target.XXXXXX")"
    cp -r "fuzz/corpus/$target/." "$work/"
    mkdir -p "$work/findings" "fuzz/regressions/$target"
    echo "fuzzing $target for ${seconds}s"
    set +e
    CAIRN_FUZZ_TARGET="$target" "$binary" "$work" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=4096 \
        -max_len=1100000 -artifact_prefix="$work/findings/" -print_final_stats=1 2>"$work/log"
    code=$?
    set -e
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/log" | sed "s/^/  $target /" || true
    for finding in "$work"/findings/*; do
        [ -e "$finding" ] || continue
        cp "$finding" "fuzz/regressions/$target/"
        echo "  $target: kept $(basename "$finding") in fuzz/regressions/$target"
        status=1
    done
    if [ "$code" != 0 ]; then tail -30 "$work/log"; status=1; fi
    rm -rf "$work"
done
exit $status
