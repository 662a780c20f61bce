// swift-tools-version:6.2
// Micro-benchmarks of the parsers and the forwarding path, in release mode:
//   cd Benchmarks && swift package benchmark
// and the load generator that drives a whole server (SwiftSFU or Janus) over the wire:
//   swift build -c release --package-path Benchmarks --product sfu-load   (see Benchmarks/README.md)
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which is whatever a clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
// The root package links libsrtp2 as `srtp2ossl` from its .build-deps folder, and SwiftPM
// drops a dependency's unsafe flags: every executable here that links DTLS says where.
let srtpLibraries =
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
    + "/.build-deps/libsrtp2/lib"
let linksSRTP: [LinkerSetting] = [.unsafeFlags(["-L\(srtpLibraries)"])]

let package = Package(
    name: "SwiftSFUBenchmarks",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "sfu-load", targets: ["LoadGenerator"])],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CSRTPLoader"),
        .executableTarget(
            name: "LoadGenerator",
            dependencies: [
                .product(name: "SFU", package: root),
                .product(name: "ICE", package: root),
                .product(name: "DTLS", package: root),
                .product(name: "RTP", package: root),
                .product(name: "SDP", package: root),
                .product(name: "Signaling", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/LoadGenerator",
            linkerSettings: linksSRTP
        ),
        .executableTarget(
            name: "SRTPBenchmarks",
            // NOTE: no dependency on DTLS, which links libsrtp2 statically: the two shared
            // builds this loads must not find libsrtp's symbols in the executable.
            dependencies: ["CSRTPLoader", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/SRTPBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "DTLSBenchmarks",
            dependencies: [.product(name: "DTLS", package: root), .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/DTLSBenchmarks",
            linkerSettings: linksSRTP,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ForwardingBenchmarks",
            dependencies: [
                .product(name: "SFU", package: root),
                .product(name: "ICE", package: root),
                .product(name: "DTLS", package: root),
                .product(name: "RTP", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ForwardingBenchmarks",
            linkerSettings: linksSRTP,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ICEBenchmarks",
            dependencies: [.product(name: "ICE", package: root), .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/ICEBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RTPBenchmarks",
            dependencies: [
                .product(name: "RTP", package: root),
                .product(name: "SDP", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RTPBenchmarks",
            // Same setting as the hot-path modules whose inlined code this calls.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
