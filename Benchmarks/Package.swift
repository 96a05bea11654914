// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so the benchmark plugin never slows the main build
// (BUILD-NOTES.md); it depends on the main package by path.
let package = Package(
    name: "AisleBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Aisle", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // What the paired benchmarks share: the interleaving and its two metrics, the replica
        // fixtures, the raw-SQLite baseline and the remote-apply workload.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "AisleCore", package: "Aisle"),
                .product(name: "AisleStore", package: "Aisle"),
                .product(name: "AisleTesting", package: "Aisle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/BenchmarkSupport"),
        .executableTarget(
            name: "CRDTBenchmarks",
            dependencies: [
                .product(name: "AisleCore", package: "Aisle"),
                .product(name: "AisleTesting", package: "Aisle"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/CRDTBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // [2/6]: the durable replica against the same statements on raw SQLite, through GRDB.
        .executableTarget(
            name: "StoreBenchmarks",
            dependencies: [
                .product(name: "AisleCore", package: "Aisle"),
                .product(name: "AisleStore", package: "Aisle"),
                .product(name: "AisleTesting", package: "Aisle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
            ],
            path: "Benchmarks/StoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // libsodium called directly: the raw baseline of the crypto benchmarks. (The main package's
        // CSodium is a system-library target, which a package cannot export as a product.)
        .systemLibrary(name: "CSodiumBench", path: "Benchmarks/CSodiumBench", pkgConfig: "libsodium"),
        // [3/6]: sealing and opening envelopes against the same libsodium calls on the same bytes.
        .executableTarget(
            name: "CryptoBenchmarks",
            dependencies: [
                "CSodiumBench",
                .product(name: "AisleCore", package: "Aisle"),
                .product(name: "AisleCrypto", package: "Aisle"),
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
            ],
            path: "Benchmarks/CryptoBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // [4/6]: sealed apply against raw SQLite, handoff latency over loopback against a raw TCP
        // round trip, wire bytes per line update, bootstrap of a million rows.
        .executableTarget(
            name: "SyncBenchmarks",
            dependencies: [
                .product(name: "AisleCore", package: "Aisle"),
                .product(name: "AisleCrypto", package: "Aisle"),
                .product(name: "AisleEdge", package: "Aisle"),
                .product(name: "AisleHub", package: "Aisle"),
                .product(name: "AisleNode", package: "Aisle"),
                .product(name: "AisleStore", package: "Aisle"),
                .product(name: "AisleSync", package: "Aisle"),
                .product(name: "AisleTesting", package: "Aisle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkSupport",
            ],
            path: "Benchmarks/SyncBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
