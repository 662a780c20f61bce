// swift-tools-version:6.2
// Fuzz targets, one executable per parser of network bytes. Build (see scripts/fuzz.sh):
//   swift build -c release --product FuzzRTP -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which is whatever a clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "SwiftSFUFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzRTP",
            dependencies: ["FuzzSupport", .product(name: "RTP", package: root), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzRTCP",
            dependencies: ["FuzzSupport", .product(name: "RTP", package: root), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(
            name: "FuzzCodecs",
            dependencies: ["FuzzSupport", .product(name: "RTP", package: root), .product(name: "NIOCore", package: "swift-nio")]
        ),
        .executableTarget(name: "FuzzSDP", dependencies: ["FuzzSupport", .product(name: "SDP", package: root)]),
        .executableTarget(name: "FuzzSTUN", dependencies: ["FuzzSupport", .product(name: "ICE", package: root)]),
        .executableTarget(
            name: "FuzzSignaling",
            dependencies: [
                "FuzzSupport", .product(name: "Signaling", package: root), .product(name: "SFU", package: root),
                .product(name: "SDP", package: root), .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
