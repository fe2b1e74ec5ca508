// swift-tools-version: 6.1
import PackageDescription

// A separate package, as swift-nio keeps its benchmarks, so the root package
// stays free of dependencies: adopters of the kit never resolve
// package-benchmark. Run everything with ./run.sh (see README.md).
// The Swift runtime and Foundation's static archives, for the minimal worker.
// SwiftPM's -static-stdlib names the archives in an order that leaves some of
// Foundation's internal libraries unresolved when only a library target (not
// the executable itself) imports Foundation, so they are named again inside
// one linker group.
let staticWorkerFlags = ["-static-stdlib"] + [
    "--start-group", "-lFoundation", "-lFoundationEssentials", "-lFoundationInternationalization",
    "-l_FoundationCollections", "-l_FoundationCShims", "-l_FoundationICU", "-lCoreFoundation",
    "-lstdc++", "--end-group",
].flatMap { ["-Xlinker", $0] }

let package = Package(
    name: "ConcurrencyKitBenchmarks",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    dependencies: [
        // Named, so the product references below do not depend on the name
        // of the directory the repository was cloned into.
        .package(name: "ConcurrencyKit", path: ".."),
        // package-benchmark, under its current name (ordo-one/benchmark; the
        // old package-benchmark identifier now prints a deprecation warning).
        // No traits: its default ones interpose malloc (MallocInterposer) and,
        // on Linux with Swift 6.3, the ARC runtime (RuntimeInterposer). The
        // suite reports wall clock and throughput only, and the malloc
        // interposer puts a header on every allocation and a branch in every
        // malloc and free even when it counts nothing: submit + collect (one
        // allocation per job) measured 0.50–0.63 µs/job with it and
        // 0.24–0.52 without it, six runs of each taken alternately on
        // 2026-11-30 (README.md, Notes).
        // swift-tools-version 6.1 is needed for `traits:`.
        .package(
            url: "https://github.com/ordo-one/benchmark.git",
            from: "1.38.1",
            traits: []
        ),
    ],
    targets: [
        // The workloads themselves, shared by the benchmark suite and the
        // profiling executable, so both measure exactly the same code.
        .target(
            name: "PoolWorkloads",
            dependencies: [
                .product(name: "ConcurrencySpec", package: "ConcurrencyKit"),
                .product(name: "ConcurrencyReference", package: "ConcurrencyKit"),
            ]
        ),
        // The package-benchmark suite: `swift package benchmark`.
        .executableTarget(
            name: "ThreadPoolBenchmarks",
            dependencies: [
                "PoolWorkloads",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ConcurrencySpec", package: "ConcurrencyKit"),
                .product(name: "ConcurrencyReference", package: "ConcurrencyKit"),
            ],
            path: "Benchmarks/ThreadPoolBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // Runs one workload once, for profilers (valgrind --tool=callgrind,
        // perf) that want a plain process without the benchmark harness.
        .executableTarget(
            name: "pool-profile",
            dependencies: ["PoolWorkloads"]
        ),
        // The event-loop workloads (SerialEventLoop against asyncio and
        // uvloop, see bench_asyncio.py): a plain executable that prints
        // bench_asyncio.py's JSON, because the sleep-overshoot percentiles
        // are not a per-iteration metric package-benchmark could report.
        .executableTarget(
            name: "loop-bench",
            dependencies: [
                .product(name: "ConcurrencySpec", package: "ConcurrencyKit"),
                .product(name: "ConcurrencyReference", package: "ConcurrencyKit"),
            ]
        ),
        // The process-pool workloads (ProcessPoolExecutor against CPython's
        // ProcessPoolExecutor, see bench_processpool.py): a plain executable
        // that prints bench_processpool.py's JSON shape. Its main installs the
        // worker guard first, so its pools re-launch the benchmark itself as
        // their workers (WorkerProgram.currentExecutable).
        .executableTarget(
            name: "process-bench",
            dependencies: [
                "ProcessBenchJobs",
                .product(name: "ConcurrencySpec", package: "ConcurrencyKit"),
                .product(name: "ConcurrencyReference", package: "ConcurrencyKit"),
                .product(name: "ConcurrencyWorker", package: "ConcurrencyKit"),
                .product(name: "SeedJobs", package: "ConcurrencyKit"),
            ]
        ),
        // The one job the benchmarks add to the seed's: a rendezvous that
        // holds each worker until every worker of the pool has started a call,
        // so "two workers answered" is measured without a fixed sleep.
        .target(
            name: "ProcessBenchJobs",
            dependencies: [
                .product(name: "ConcurrencySpec", package: "ConcurrencyKit"),
                .product(name: "SeedJobs", package: "ConcurrencyKit"),
            ]
        ),
        // A minimal worker program (ConcurrencyWorker and the jobs, no
        // Foundation beyond FoundationEssentials, the Swift runtime linked
        // statically), to measure how much of a pool's start is the worker
        // program's own start-up. process-bench uses it for its "minimal"
        // rows when it finds it beside itself.
        .executableTarget(
            name: "process-bench-worker",
            dependencies: [
                "ProcessBenchJobs",
                .product(name: "ConcurrencyWorker", package: "ConcurrencyKit"),
                .product(name: "SeedJobs", package: "ConcurrencyKit"),
            ],
            linkerSettings: [.unsafeFlags(staticWorkerFlags, .when(platforms: [.linux]))]
        ),
    ],
    swiftLanguageModes: [.v6]
)
