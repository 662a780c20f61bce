// swift-tools-version:6.2
// Micro-benchmarks of the parsers and the forwarding path, in release mode:
//   cd Benchmarks && swift package benchmark
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which is whatever a clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "SwiftSFUBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(name: "CSRTPLoader"),
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
        )
    ]
)
