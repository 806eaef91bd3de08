// swift-tools-version:6.0
import PackageDescription

// Each area declares its own targets and products in its own block below. Executable targets are
// named `<Name>Main` (their products keep the command names: broker, dev-pki, ...).

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")

// MARK: C system libraries: all unsafe use of them lives in one Swift module each.
let systemLibraryTargets: [Target] = [
    .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
    .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
    .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .testTarget(name: "SystemLibrariesTests", dependencies: ["CRdKafka", "CCurl", "CLibCrypto", "TestSupport"]),
]

// The broker's per-message and per-connection code, in release builds: no run-time exclusivity
// checks (swift_beginAccess on every access to a class's stored property, 5-7% of the broker's
// CPU per message; debug builds, which run the tests, keep them), and cross-module optimization
// (MQTTCore's generic subscription index specialized for the broker, not run with type metadata).
let hotPathSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))]

// MARK: MQTTCore: packets, codec, topics, subscription index, client.
let coreProducts: [Product] = [.library(name: "MQTTCore", targets: ["MQTTCore"])]
let coreTargets: [Target] = [
    .target(
        name: "MQTTCore",
        dependencies: nio + [nioSSL, logging, .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
        swiftSettings: hotPathSettings
    ),
    .testTarget(
        name: "MQTTCoreTests",
        dependencies: [
            "MQTTCore", "TestSupport",
            .product(name: "NIOTestUtils", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ] + nio
    ),
]

// MARK: Test support: TestSupport for every test target (child processes through swift-subprocess,
// eventually, free ports, temporary directories, built products, kcat, openssl, raw MQTT peers' packet
// stream); BrokerTestSupport
// (our broker in the test process, test certificates) only for the targets that test against a broker,
// so that the light test targets do not depend on the whole broker.
let testSupportTargets: [Target] = [
    .target(
        name: "TestSupport",
        dependencies: nio + [
            "ServiceRuntime", "MQTTCore",
            .product(name: "Subprocess", package: "swift-subprocess"),
            .product(name: "SystemPackage", package: "swift-system"),
        ],
        path: "Sources/TestSupport"
    ),
    // For the test targets that need a broker: our broker in the test process, test certificates.
    .target(
        name: "BrokerTestSupport",
        dependencies: nio + ["Broker", "MQTTAuthorization", "TestSupport", "X509", logging],
        path: "Sources/BrokerTestSupport"
    ),
]

// MARK: JSON bytes: strict validation by byte ranges, member lookup, minifier and writer (both bridges, log lines).
let jsonProducts: [Product] = [.library(name: "JSONBytes", targets: ["JSONBytes"])]
let jsonTargets: [Target] = [
    .target(name: "JSONBytes"),
    .testTarget(name: "JSONBytesTests", dependencies: ["JSONBytes"]),
]

// MARK: Service runtime: configuration from the environment, logging, metrics, ops endpoint.
let runtimeProducts: [Product] = [.library(name: "ServiceRuntime", targets: ["ServiceRuntime"])]
let runtimeTargets: [Target] = [
    .target(
        name: "ServiceRuntime",
        dependencies: nio + [
            "JSONBytes", logging, metrics,
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]
    ),
    .testTarget(
        name: "ServiceRuntimeTests",
        dependencies: nio + [
            "ServiceRuntime", "TestSupport", logging, metrics,
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]
    ),
]

// MARK: Kafka (librdkafka) and the mock cluster helper.
let kafkaProducts: [Product] = [
    .library(name: "Kafka", targets: ["Kafka"]),
    .executable(name: "kafka-mock", targets: ["KafkaMockMain"]),
]
let kafkaTargets: [Target] = [
    .target(
        name: "Kafka",
        dependencies: [
            "CRdKafka", logging, metrics,
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]
    ),
    .executableTarget(
        name: "KafkaMockMain",
        dependencies: ["Kafka", logging, .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .testTarget(
        name: "KafkaTests",
        dependencies: [
            "Kafka", "TestSupport", logging,
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]
    ),
]

// MARK: PKI: X.509 (libcrypto), HTTP client (libcurl), dev-pki, pki-sidecar.
let pkiServiceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let pkiProducts: [Product] = [
    .library(name: "X509", targets: ["X509"]),
    .library(name: "HTTPClient", targets: ["HTTPClient"]),
    .executable(name: "dev-pki", targets: ["DevPKIMain"]),
    .executable(name: "pki-sidecar", targets: ["PKISidecarMain"]),
]
let pkiTargets: [Target] = [
    .target(name: "X509", dependencies: ["CLibCrypto"]),
    .target(name: "HTTPClient", dependencies: ["CCurl", .product(name: "NIOPosix", package: "swift-nio")]),
    .target(name: "PKIAPI"),
    .target(
        name: "DevPKI",
        dependencies: [
            "X509", "PKIAPI", "ServiceRuntime", "MQTTCore", logging, metrics, pkiServiceLifecycle,
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]
    ),
    .executableTarget(name: "DevPKIMain", dependencies: ["DevPKI", "ServiceRuntime"]),
    .target(
        name: "PKISidecar",
        dependencies: [
            "X509", "HTTPClient", "PKIAPI", "ServiceRuntime", logging, metrics,
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]
    ),
    .executableTarget(
        name: "PKISidecarMain",
        dependencies: [
            "PKISidecar", "ServiceRuntime", "X509", logging, pkiServiceLifecycle,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .testTarget(name: "X509Tests", dependencies: ["X509", "TestSupport"]),
    .testTarget(
        name: "HTTPClientTests",
        dependencies: ["HTTPClient", "ServiceRuntime", "TestSupport", "X509", nioSSL, logging, .product(name: "NIOHTTP1", package: "swift-nio")] + nio
    ),
    .testTarget(
        name: "PKITests",
        dependencies: [
            "DevPKI", "PKISidecar", "PKIAPI", "HTTPClient", "X509", "ServiceRuntime", "Broker", "MQTTAuthorization", "MQTTCore",
            "TestSupport", logging,
        ] + nio
    ),
]

// MARK: Broker.
let brokerProducts: [Product] = [.executable(name: "broker", targets: ["BrokerMain"])]
let brokerTargets: [Target] = [
    .target(name: "MQTTAuthorization", dependencies: ["MQTTCore", logging]),
    .testTarget(name: "MQTTAuthorizationTests", dependencies: ["MQTTAuthorization", "MQTTCore", "TestSupport"]),
    .target(
        name: "Broker",
        dependencies: [
            "MQTTCore", "MQTTAuthorization", "X509", "BrokerStore", logging, metrics, nioSSL, "ServiceRuntime",
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]
            + nio + [.product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
        swiftSettings: hotPathSettings
    ),
    .executableTarget(name: "BrokerMain", dependencies: ["Broker", "ServiceRuntime"]),
    .testTarget(
        name: "BrokerTests",
        dependencies: [
            "Broker", "BrokerStore", "BrokerTestSupport", "TestSupport", "MQTTCore", "MQTTAuthorization", "ServiceRuntime", "X509", logging,
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ] + nio
    ),
]

// MARK: Bridges.
let bridgeProducts: [Product] = [
    // v2k-bridge.
    .executable(name: "v2k-bridge", targets: ["V2KBridgeMain"]),
    .executable(name: "v2k-bench-publish", targets: ["V2KBenchPublishMain"]),
    // k2v-bridge.
    .executable(name: "k2v-bridge", targets: ["K2VBridgeMain"]),
]
let bridgeTargets: [Target] = [
    // v2k-bridge.
    .target(
        name: "V2KBridge",
        dependencies: nio + [
            "JSONBytes", "MQTTCore", "Kafka", "ServiceRuntime", logging, metrics, nioSSL,
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]
    ),
    .executableTarget(name: "V2KBridgeMain", dependencies: ["V2KBridge", "ServiceRuntime"]),
    .executableTarget(
        name: "V2KBenchPublishMain",
        dependencies: nio + ["MQTTCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .testTarget(
        name: "V2KBridgeTests",
        dependencies: nio + [
            "V2KBridge", "MQTTCore", "Kafka", "Broker", "MQTTAuthorization", "ServiceRuntime", "X509", "TestSupport", "BrokerTestSupport", logging, nioSSL,
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]
    ),
    // k2v-bridge.
    .target(
        name: "K2VBridge",
        dependencies: [
            "JSONBytes", "MQTTCore", "Kafka", "ServiceRuntime", logging, metrics, nioSSL,
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ] + nio
    ),
    .executableTarget(name: "K2VBridgeMain", dependencies: ["K2VBridge", "ServiceRuntime"]),
    .testTarget(
        name: "K2VBridgeTests",
        dependencies: [
            "K2VBridge", "TestSupport", "BrokerTestSupport", "MQTTCore", "Kafka", "Broker", "MQTTAuthorization", "X509", "ServiceRuntime", logging,
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ] + nio
    ),
]

// MARK: Load test.
let loadtestProducts: [Product] = [.executable(name: "loadtest", targets: ["LoadTestMain"])]
let loadtestTargets: [Target] = [
    .target(
        name: "LoadTest",
        dependencies: [
            "MQTTCore", "Kafka", "PKISidecar", "ServiceRuntime", "X509", nioSSL, logging,
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ] + nio
    ),
    .executableTarget(
        name: "LoadTestMain",
        dependencies: [
            "LoadTest", "MQTTCore", "ServiceRuntime", logging,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ] + nio
    ),
    .testTarget(
        name: "LoadTestTests",
        dependencies: [
            "LoadTest", "Broker", "MQTTCore", "MQTTAuthorization", "Kafka", "ServiceRuntime", "X509", "DevPKI", "PKISidecar", "TestSupport", "BrokerTestSupport", logging,
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ] + nio
    ),
]

// MARK: Broker store: durable sessions, queues and retained messages in RocksDB.
let storeProducts: [Product] = [
    .library(name: "BrokerStore", targets: ["BrokerStore"]),
    .executable(name: "broker-store-crash-helper", targets: ["BrokerStoreCrashHelperMain"]),
    .executable(name: "broker-store-bench", targets: ["BrokerStoreBenchMain"]),
]
let storeTargets: [Target] = [
    .systemLibrary(name: "CRocksDB", pkgConfig: "rocksdb", providers: [.apt(["librocksdb-dev"])]),
    .target(
        name: "BrokerStore",
        dependencies: [
            "CRocksDB", logging, .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]
    ),
    .executableTarget(name: "BrokerStoreCrashHelperMain", dependencies: ["BrokerStore", .product(name: "NIOCore", package: "swift-nio")]),
    .executableTarget(name: "BrokerStoreBenchMain", dependencies: ["BrokerStore", logging, .product(name: "NIOCore", package: "swift-nio")]),
    .testTarget(
        name: "BrokerStoreTests",
        dependencies: ["BrokerStore", "TestSupport", logging, .product(name: "NIOConcurrencyHelpers", package: "swift-nio")] + nio
    ),
]

let package = Package(
    name: "iotagent-mqtt",
    platforms: [.macOS(.v15)],
    products: coreProducts + jsonProducts + runtimeProducts + kafkaProducts + pkiProducts + brokerProducts
        + bridgeProducts + loadtestProducts + storeProducts,
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", .upToNextMinor(from: "1.0.2")),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
    ],
    targets: systemLibraryTargets + testSupportTargets + coreTargets + jsonTargets + runtimeTargets + kafkaTargets + pkiTargets
        + brokerTargets + bridgeTargets + loadtestTargets + storeTargets
)
