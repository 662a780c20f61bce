// swift-tools-version:6.2
import Foundation
import PackageDescription

/// libsrtp2 built on OpenSSL by scripts/build-libsrtp.sh (Debian's binary is built on NSS
/// and 2-4x slower per packet), linked as `srtp2ossl` from this folder. When that build is
/// impossible, scripts/setup.sh puts a link to Debian's library there under the same name.
/// NOTE: no condition on the folder's contents here: SwiftPM caches a manifest's result by
/// its text, so a condition read before the library existed stayed false (docs/decisions.md).
let localSRTP = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/.build-deps/libsrtp2/lib"

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The per-packet modules: NIO's `ByteBuffer` storage is a class, and every access to it
/// inlined into these modules otherwise pays a dynamic exclusivity check
/// (`swift_beginAccess`, ~45 instructions). Static exclusivity checking stays on.
/// Measured: RTP parse + rewrite 44 ns → 26 ns (docs/decisions.md).
let hotPathSettings: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "SwiftSFU",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sfu", targets: ["SFUServer"]),
        .library(name: "RTP", targets: ["RTP"]),
        .library(name: "SDP", targets: ["SDP"]),
        .library(name: "DTLS", targets: ["DTLS"]),
        .library(name: "ICE", targets: ["ICE"]),
        .library(name: "SFU", targets: ["SFU"]),
        .library(name: "Signaling", targets: ["Signaling"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // MARK: - C shims: module maps and thin wrappers, no logic
        .systemLibrary(name: "CNice", pkgConfig: "nice", providers: [.apt(["libnice-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSRTP"),
        .systemLibrary(name: "CMalloc"),
        .target(name: "CUDP"),
        .target(
            name: "CAVFormat",
            linkerSettings: [.linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("avutil")]
        ),

        // MARK: - Modules, lowest first
        .target(
            name: "RTP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: hotPathSettings
        ),
        .target(name: "SDP", swiftSettings: swiftSettings),
        .target(
            name: "DTLS",
            dependencies: ["COpenSSL", "CSRTP", "RTP"],
            swiftSettings: hotPathSettings,
            linkerSettings: [.unsafeFlags(["-L\(localSRTP)"])]
        ),
        .target(
            name: "ICE",
            dependencies: ["CNice", "CUDP", "COpenSSL", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Recording",
            dependencies: [
                "RTP", "CAVFormat", .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SFU",
            dependencies: ["RTP", "SDP", "DTLS", "ICE", "Recording"],
            swiftSettings: hotPathSettings
        ),
        .target(
            name: "Signaling",
            dependencies: [
                "SFU", "SDP", "DTLS", "RTP", "Recording", "CMalloc",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "SFUServer",
            dependencies: [
                "Signaling",
                "SFU",
                "ICE",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests, one target per module
        .target(name: "CTestSupport", path: "Tests/CTestSupport"),
        .target(
            name: "TestSupport",
            dependencies: ["CTestSupport"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RTPTests",
            dependencies: ["RTP", "TestSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SDPTests",
            dependencies: ["SDP", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DTLSTests", dependencies: ["DTLS", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ICETests",
            dependencies: ["ICE", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RecordingTests",
            dependencies: ["Recording", "RTP", "TestSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SFUTests",
            dependencies: [
                "SFU", "ICE", "DTLS", "RTP", "TestSupport", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SignalingTests",
            dependencies: [
                "Signaling",
                "SFU",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
