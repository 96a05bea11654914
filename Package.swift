// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Aisle",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AisleCore", targets: ["AisleCore"]),
        .library(name: "AisleStore", targets: ["AisleStore"]),
        .library(name: "AisleCrypto", targets: ["AisleCrypto"]),
        .library(name: "AisleNode", targets: ["AisleNode"]),
        .library(name: "AisleSync", targets: ["AisleSync"]),
        .library(name: "AisleTesting", targets: ["AisleTesting"]),
        .library(name: "AisleHub", targets: ["AisleHub"]),
        .library(name: "AisleEdge", targets: ["AisleEdge"]),
        .executable(name: "aisle", targets: ["aisle"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", exact: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", exact: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", exact: "0.2.0"),
    ],
    targets: [
        // Pure: clocks, lattices, retail CRDTs, pricing. No I/O, no wall clock, no unseeded randomness.
        .target(name: "AisleCore"),
        // One replica on disk: CRDT state, change log and read tables in SQLite through GRDB.
        .target(
            name: "AisleStore",
            dependencies: [
                "AisleCore", .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the hot writes' bindings (BoundStatement).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]),
        // libsodium, as a system library (libsodium-dev; scripts/deps installs it).
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        // Safe wrappers over the libsodium calls Aisle uses; no libsodium type leaves the module.
        .target(name: "AisleCrypto", dependencies: ["AisleCore", "CSodium"]),
        // The sync protocol engine, sans-IO: frames and time in, frames and actions out.
        // Messages in protobuf (Protos/, generated code committed; scripts/gen-protos).
        .target(
            name: "AisleSync",
            dependencies: ["AisleCore", "AisleCrypto", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // One replica: store + keys + trust; the one receive path and what a peer is sent.
        .target(
            name: "AisleNode",
            dependencies: [
                "AisleCore", "AisleStore", "AisleCrypto", "AisleSync",
                .product(name: "Metrics", package: "swift-metrics"),
            ]),
        // The hub: stores and relays envelopes for every store and phone, over WebSocket (Hummingbird).
        .target(
            name: "AisleHub",
            dependencies: [
                "AisleCore", "AisleCrypto", "AisleNode", "AisleStore", "AisleSync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),
        // The edge (and the phone's sync): a WebSocket client to the hub with reconnects, and the
        // till's local HTTP API.
        .target(
            name: "AisleEdge",
            dependencies: [
                "AisleCore", "AisleCrypto", "AisleNode", "AisleStore", "AisleSync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),
        // The test kit: seeded randomness, a manual clock, an in-memory network with seeded faults,
        // simulation sweeps, child processes, and a tenant with nodes on disk.
        .target(name: "AisleTesting", dependencies: ["AisleCore", "AisleCrypto", "AisleStore", "AisleNode"]),
        .executableTarget(
            name: "aisle",
            dependencies: [
                "AisleCore",
                "AisleCrypto",
                "AisleEdge",
                "AisleHub",
                "AisleNode",
                "AisleStore",
                "AisleTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "AisleCoreTests",
            dependencies: [
                "AisleCore",
                "AisleTesting",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "AisleCryptoTests",
            dependencies: [
                "AisleCrypto", "AisleTesting", .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "AisleStoreTests",
            dependencies: ["AisleStore", "AisleTesting", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "AisleNodeTests", dependencies: ["AisleNode", "AisleSync", "AisleTesting"]),
        .testTarget(name: "AisleSyncTests", dependencies: ["AisleSync", "AisleTesting"]),
        // The crash test's child process: writes until it is killed.
        .executableTarget(
            name: "CrashWriter", dependencies: ["AisleStore", "AisleTesting"], path: "Tests/CrashWriter"),
        // Real processes: runs the built `aisle` executable and the crash writer.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "aisle", "CrashWriter", "AisleCore", "AisleCrypto", "AisleStore", "AisleNode", "AisleHub",
                "AisleEdge", "AisleTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

// Strictness in one place (STYLE.md §14).
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    // Invariant checks (STYLE.md §11): on in debug builds, and in `make test`'s optimized build via
    // -Xswiftc -DAISLE_INTERNAL_CHECKS; compiled out of release binaries.
    settings.append(.define("AISLE_INTERNAL_CHECKS", .when(configuration: .debug)))
    target.swiftSettings = settings
}
