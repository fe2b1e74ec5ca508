// swift-tools-version: 6.0
import PackageDescription

// The root package depends on the toolchain only (Foundation, Dispatch,
// Synchronization, Testing), so adopters can add the kit as a test dependency
// without pulling in anything else. Benchmarks/ and Examples/ are separate
// packages for the same reason.
let package = Package(
    name: "ConcurrencyKit",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "ConcurrencySpec", targets: ["ConcurrencySpec"]),
        .library(name: "ConcurrencyReference", targets: ["ConcurrencyReference"]),
        .library(name: "ConcurrencyConformance", targets: ["ConcurrencyConformance"]),
        .library(name: "ConcurrencyConformanceTesting", targets: ["ConcurrencyConformanceTesting"]),
        .library(name: "ConformanceGallery", targets: ["ConformanceGallery"]),
        .library(name: "ConcurrencyWorker", targets: ["ConcurrencyWorker"]),
        .library(name: "SeedJobs", targets: ["SeedJobs"]),
        .executable(name: "concurrency-worker", targets: ["concurrency-worker"]),
        .executable(name: "conformance", targets: ["conformance"]),
    ],
    targets: [
        // The contracts: protocols, states, errors, ReturnWhen, and the
        // algorithms defined purely by them (wait, asCompleted, the scoped
        // executor, map's iterator), as Python's module functions are.
        .target(name: "ConcurrencySpec", dependencies: ["ConcurrencyPrimitives"]),
        // Package-internal locks that ThreadSanitizer can see (see ConditionLock),
        // and the queue and clock they work with. Not a product: its
        // declarations are `public` only because Swift 6.3 does not inline
        // or specialize `@inlinable package` code in other modules (it calls
        // the unspecialized copy, which looks up type metadata on every
        // call), and these sit on every hot path of the pools and the loop.
        .target(name: "ConcurrencyPrimitives"),
        // The reference implementation. It must never import Testing: linking
        // Testing breaks static builds of the apps that use the library.
        .target(name: "ConcurrencyReference", dependencies: ["ConcurrencySpec", "ConcurrencyPrimitives", "ConcurrencyWorker"]),
        // The worker side of the process pool: the wire format and the loop a
        // worker program runs. It needs only FoundationEssentials (JSON), so
        // a worker process starts without loading the rest of Foundation.
        .target(name: "ConcurrencyWorker", dependencies: ["ConcurrencySpec", "ConcurrencyPrimitives"]),
        // The kit: clauses, catalogue, runner, timing, watchdog, verdicts, reports.
        .target(name: "ConcurrencyConformance", dependencies: ["ConcurrencySpec", "ConcurrencyPrimitives"]),
        // The only target that links Testing: clause verdicts -> Issue.record.
        .target(name: "ConcurrencyConformanceTesting", dependencies: ["ConcurrencyConformance"]),
        // Every implementation the package knows: the reference as a subject,
        // and the mutant gallery the kit tests itself with.
        .target(
            name: "ConformanceGallery",
            dependencies: ["ConcurrencySpec", "ConcurrencyPrimitives", "ConcurrencyReference", "ConcurrencyConformance", "SeedJobs"]
        ),
        .executableTarget(name: "conformance", dependencies: ["ConformanceGallery", "ConcurrencyConformance", "ConcurrencyWorker"]),
        // The seed's process-pool examples (is_prime, return_after...) as
        // portable jobs: one definition for the worker program, the twins
        // and the benchmarks.
        .target(name: "SeedJobs", dependencies: ["ConcurrencySpec"]),
        // The reference worker program that process pools start by default.
        .executableTarget(name: "concurrency-worker", dependencies: ["ConcurrencyWorker", "ConformanceGallery"]),
        .testTarget(
            name: "ConcurrencyReferenceTests",
            // concurrency-worker: so that `swift test` builds the worker
            // program the process-pool tests start; ConcurrencyWorker: its
            // binary coder is tested directly.
            dependencies: ["ConcurrencyReference", "ConformanceGallery", "ConcurrencyConformanceTesting", "SeedJobs", "ConcurrencyWorker", "concurrency-worker"]
        ),
        .testTarget(
            name: "ConcurrencyConformanceTests",
            dependencies: ["ConcurrencyConformance", "ConcurrencyReference", "ConformanceGallery", "ConcurrencyConformanceTesting"]
        ),
        // The seed's examples as Swift twins that assert their documented outcome.
        .testTarget(
            name: "ExecutableDocumentationTests",
            // SeedJobs: the seed's is_prime as a portable job; concurrency-worker:
            // so that `swift test` builds the worker program the process-pool
            // twins start.
            dependencies: ["ConcurrencyReference", "ConcurrencyConformance", "SeedJobs", "concurrency-worker"]
        ),
        // CPython's golden traces (Fixtures/traces) replayed by Swift twins
        // written against the contracts; concurrency-worker for the process
        // pool scenarios.
        .testTarget(
            name: "FixtureReplayTests",
            dependencies: ["ConcurrencySpec", "ConcurrencyConformance", "ConformanceGallery", "SeedJobs", "concurrency-worker"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
