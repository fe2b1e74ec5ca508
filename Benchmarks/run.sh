#!/usr/bin/env bash
# Runs the Swift suites and their CPython twins on the same workloads: the
# thread pool (package-benchmark against bench_cpython.py), the event loop
# (loop-bench against bench_asyncio.py: asyncio, and uvloop when installed)
# and the process pool (process-bench against bench_processpool.py: fork, and
# spawn for the pool start), then prints the side-by-side tables (also saved
# to .results/<mode>/table.md).
#
#   Benchmarks/run.sh           full sizes (a few minutes after the build)
#   Benchmarks/run.sh --smoke   tiny sizes, no targets evaluated: for CI, to
#                               keep the suites building and running
#
# CK_BENCH_SMOKE=1 in the environment is the same as --smoke. Exit status is
# non-zero only when something fails to build or run, or the two sides ran
# different sizes; a missed performance target is reported, not failed, and
# a missing uvloop is reported, not failed.
set -euo pipefail
cd "$(dirname "$0")"

smoke=0
case "${CK_BENCH_SMOKE:-}" in ""|0) ;; *) smoke=1 ;; esac
for arg in "$@"; do
    case "$arg" in
        --smoke) smoke=1 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

mode=full
smoke_flag=()
if [ "$smoke" = 1 ]; then
    mode=smoke
    smoke_flag=(--smoke)
    export CK_BENCH_SMOKE=1
else
    export CK_BENCH_SMOKE=0
fi
out=".results/$mode"
rm -rf "$out"
mkdir -p "$out"

step() { printf '\n=== %s (%(%H:%M:%S)T)\n' "$1" -1; }
started=$SECONDS

step "machine"
echo "cores: $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg); $(uname -srm)"
# CPU busy share over one second, from /proc/stat (all cores together).
busy_percent() {
    local a b c d e f g h t1 i1 t2 i2
    read -r _ a b c d e f g h _ < /proc/stat; t1=$((a+b+c+d+e+f+g+h)); i1=$((d+e))
    sleep 1
    read -r _ a b c d e f g h _ < /proc/stat; t2=$((a+b+c+d+e+f+g+h)); i2=$((d+e))
    echo $(( 100 * ((t2 - t1) - (i2 - i1)) / (t2 - t1) ))
}
busy=$(busy_percent)
echo "CPU busy before the run: $busy% of all cores"
if [ "$busy" -gt 15 ]; then
    echo "WARNING: the machine is not idle: timings, and the 2-worker speedup above all,"
    echo "         will be pessimistic. Run again when it is."
fi
swift --version 2>&1 | head -1
python3 --version

step "Swift: release build of loop-bench and process-bench, then swift package benchmark (builds in release first), $mode sizes"
# SwiftPM caches the build plan of the path dependency (the kit itself): it
# missed files added to or removed from the kit's targets, and once linked a
# stale object whose class layout no longer matched (a crash, not a wrong
# number). Drop the plan and the release objects of the kit and of every
# target here that links it (pool-profile too, which run.sh does not build,
# so that the next build of it is not stale either); the kit's modules
# recompile (about 40 s), package-benchmark's do not.
rm -rf .build/*.yaml .build/*/release/description.json .build/*/debug/description.json \
    .build/*/release/Concurrency*.build .build/*/release/ConformanceGallery.build \
    .build/*/release/PoolWorkloads.build .build/*/release/loop_bench.build \
    .build/*/release/process_bench.build .build/*/release/process_bench_worker.build \
    .build/*/release/ProcessBenchJobs.build .build/*/release/SeedJobs.build \
    .build/*/release/pool_profile.build
# Builds from before this package dropped package-benchmark's malloc
# interposer (2026-11-30) left its modules behind, and package-benchmark's
# `#if canImport(MallocInterposerSwift)` still finds them: its Benchmark
# module then fails with "missing required module 'MallocInterposerC'". Drop
# them, and the Benchmark module built against them, once. A leftover library
# goes every time: the benchmark plugin preloads one it finds beside its tool,
# which would put the interposer back under the suite.
if compgen -G ".build/*/release/Modules/MallocInterposerSwift.swiftmodule" >/dev/null; then
    rm -rf .build/*/release/Modules/MallocInterposer* .build/*/release/MallocInterposer* \
        .build/*/release/Benchmark.build
fi
rm -f .build/*/release/libMallocInterposerSwift.so
swift build -c release --product loop-bench
swift build -c release --product process-bench
swift build -c release --product process-bench-worker
bin="$(swift build -c release --show-bin-path)"
loop_bench="$bin/loop-bench"
process_bench="$bin/process-bench"
swift package --allow-writing-to-package-directory benchmark run \
    --target ThreadPoolBenchmarks --format jmh --path "$out" --no-progress
swift_json="$out/Current_run.jmh.json"
[ -f "$swift_json" ] || { echo "package-benchmark wrote no $swift_json" >&2; exit 1; }

step "CPython: bench_cpython.py, $mode sizes"
python3 bench_cpython.py "${smoke_flag[@]}" --out "$out/cpython.json"

step "Swift: loop-bench (SerialEventLoop, real clock), $mode sizes"
"$loop_bench" "${smoke_flag[@]}" --out "$out/loop-swift.json"

step "CPython: bench_asyncio.py (asyncio and uvloop), $mode sizes"
if ! python3 -c "import uvloop" 2>/dev/null; then
    echo "uvloop is not installed for $(command -v python3): its columns stay empty."
    echo "To include them: python3 -m pip install --user uvloop"
fi
python3 bench_asyncio.py "${smoke_flag[@]}" --out "$out/asyncio.json"

step "Swift: process-bench (ProcessPoolExecutor; workers re-launch process-bench, then process-bench-worker), $mode sizes"
"$process_bench" "${smoke_flag[@]}" --out "$out/process-swift.json"

step "CPython: bench_processpool.py (ProcessPoolExecutor, fork; spawn for the pool start), $mode sizes"
python3 bench_processpool.py "${smoke_flag[@]}" --out "$out/processpool.json"

step "side by side"
python3 compare.py --swift "$swift_json" --python "$out/cpython.json" \
    --loop-swift "$out/loop-swift.json" --loop-python "$out/asyncio.json" \
    --process-swift "$out/process-swift.json" --process-python "$out/processpool.json" \
    "${smoke_flag[@]}" | tee "$out/table.md"
echo
echo "CPU busy after the run: $(busy_percent)% of all cores; load average $(cut -d' ' -f1-3 /proc/loadavg); total $((SECONDS - started)) s"
