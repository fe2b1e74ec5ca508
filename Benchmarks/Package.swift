// swift-tools-version: 6.1
import PackageDescription

// A separate package, as swift-nio keeps its benchmarks, so the root package
// stays free of dependencies: adopters of the kit never resolve
// package-benchmark. Run everything with ./run.sh (see README.md).
let package = Package(
    name: "ConcurrencyKitBenchmarks",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    dependencies: [
        // Named, so the product references below do not depend on the name
        // of the directory the repository was cloned into.
        .package(name: "ConcurrencyKit", path: ".."),
        // package-benchmark, under its current name (ordo-one/benchmark; the
        // old package-benchmark identifier now prints a deprecation warning).
        // On Linux with Swift 6.3 its default traits also pull in
        // swift-runtime-interposer; asking for MallocInterposer alone keeps
        // the malloc metrics and drops that dependency (swift-tools-version
        // 6.1 is needed for `traits:`).
        .package(
            url: "https://github.com/ordo-one/benchmark.git",
            from: "1.38.1",
            traits: ["MallocInterposer"]
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
    ],
    swiftLanguageModes: [.v6]
)
