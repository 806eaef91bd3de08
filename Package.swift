// swift-tools-version:6.0
import PackageDescription

// Each area declares its own targets and products in its own block below, so that work on
// different areas does not touch the same lines.

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
    .testTarget(name: "SystemLibrariesTests", dependencies: ["CRdKafka", "CCurl", "CLibCrypto"]),
]

// MARK: MQTTCore: packets, codec, topics, subscription index, client.
let coreProducts: [Product] = [.library(name: "MQTTCore", targets: ["MQTTCore"])]
let coreTargets: [Target] = [
    .target(name: "MQTTCore", dependencies: nio + [nioSSL, logging]),
    .testTarget(
        name: "MQTTCoreTests",
        dependencies: ["MQTTCore", .product(name: "NIOTestUtils", package: "swift-nio")] + nio
    ),
]

// MARK: Service runtime: configuration from the environment, logging, metrics, ops endpoint.
let runtimeProducts: [Product] = []
let runtimeTargets: [Target] = []

// MARK: Kafka (librdkafka) and the mock cluster helper.
let kafkaProducts: [Product] = [
    .library(name: "Kafka", targets: ["Kafka"]),
    .executable(name: "kafka-mock", targets: ["KafkaMockCommand"]),
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
        name: "KafkaMockCommand",
        dependencies: ["Kafka", logging, .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .testTarget(
        name: "KafkaTests",
        dependencies: [
            "Kafka", logging,
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]
    ),
]

// MARK: PKI: X.509 (libcrypto), HTTP client (libcurl), dev-pki, pki-sidecar.
let pkiProducts: [Product] = []
let pkiTargets: [Target] = []

// MARK: Broker.
let brokerProducts: [Product] = []
let brokerTargets: [Target] = []

// MARK: Bridges.
let bridgeProducts: [Product] = []
let bridgeTargets: [Target] = []

// MARK: Load test.
let loadtestProducts: [Product] = []
let loadtestTargets: [Target] = []

let package = Package(
    name: "iotagent-mqtt",
    platforms: [.macOS(.v14)],
    products: coreProducts + runtimeProducts + kafkaProducts + pkiProducts + brokerProducts
        + bridgeProducts + loadtestProducts,
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: systemLibraryTargets + coreTargets + runtimeTargets + kafkaTargets + pkiTargets
        + brokerTargets + bridgeTargets + loadtestTargets
)
