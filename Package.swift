// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "rag",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rag", targets: ["rag"]),
        .library(name: "RAGCore", targets: ["RAGCore"]),
        .library(name: "RAGServer", targets: ["RAGServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // libxml2 from the system (pkg-config libxml-2.0), behind a small shim header.
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // zstd from the system, for the stored copy of each document.
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // glibc's mallopt, for the server's limit on malloc arenas.
        .systemLibrary(name: "CMalloc"),
        // The FTS5 tokenizer that makes Chinese, Japanese and Korean searchable.
        .target(
            name: "CSQLiteFTS",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        .target(
            name: "RAGCore",
            dependencies: [
                "CLibXML2",
                "CSQLiteFTS",
                "CZstd",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Ink", package: "Ink"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "RAGServer",
            dependencies: [
                "RAGCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/index.html"), .copy("Resources/openapi.json")]
        ),
        .executableTarget(
            name: "rag",
            dependencies: [
                "CMalloc",
                "RAGCore",
                "RAGServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Helpers every test target shares: temporary folders, the repository's root, the
        // independent JSON Schema validator.
        .target(
            name: "RAGTestSupport",
            path: "Tests/RAGTestSupport"
        ),
        .testTarget(
            name: "RAGCoreTests",
            dependencies: ["RAGCore", "RAGTestSupport"]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["rag", "RAGCore", "RAGTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "RAGServerTests",
            dependencies: [
                "RAGServer",
                "RAGCore",
                "RAGTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
    ]
)
