import Benchmark
import CSRTPLoader
import Foundation

/// The two builds of libsrtp2 2.5.0 side by side, each loaded from its own shared
/// library: the one scripts/build-libsrtp.sh built on OpenSSL, and Debian's (on NSS).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let srtpBuilds: [(name: String, path: String)] = [
    ("OpenSSL build", repositoryRoot.appendingPathComponent(".build-deps/libsrtp2/bench/libsrtp2.so.1").path),
    ("Debian NSS build", "/usr/lib/x86_64-linux-gnu/libsrtp2.so.1"),
]
let profiles: [(name: String, index: Int32, keyLength: Int)] = [
    ("AES_CM_128_HMAC_SHA1_80", 0, 30), ("AEAD_AES_128_GCM", 1, 28),
]

/// Protects and unprotects one 1,200-byte RTP packet per iteration with `library`.
final class SRTPLoop {
    let library: OpaquePointer
    let sender: UnsafeMutableRawPointer
    let receiver: UnsafeMutableRawPointer
    var plaintext = [UInt8](repeating: 0xAB, count: 1200)
    var work = [UInt8](repeating: 0, count: 1200 + 144)
    var sequenceNumber: UInt16 = 0

    init?(path: String, profile: Int32, keyLength: Int) {
        var error = [CChar](repeating: 0, count: 512)
        guard let library = csrtp_library_open(path, &error, error.count) else {
            print("SRTPBenchmarks: cannot load \(path): \(String(cString: error))")
            return nil
        }
        let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        guard let sender = csrtp_session_create(library, profile, key, 1),
            let receiver = csrtp_session_create(library, profile, key, 0)
        else { return nil }
        self.library = library
        self.sender = sender
        self.receiver = receiver
        self.plaintext[0] = 0x80
        self.plaintext[1] = 96
        self.plaintext[8] = 0x12  // SSRC 0x12345678
        self.plaintext[9] = 0x34
        self.plaintext[10] = 0x56
        self.plaintext[11] = 0x78
    }

    /// One packet through protect and unprotect; false when either failed.
    func run() -> Bool {
        self.sequenceNumber &+= 1
        self.plaintext[2] = UInt8(self.sequenceNumber >> 8)
        self.plaintext[3] = UInt8(self.sequenceNumber & 0xFF)
        var length: Int32 = 1200
        return self.work.withUnsafeMutableBufferPointer { work in
            self.plaintext.withUnsafeBufferPointer { plain in
                work.baseAddress!.update(from: plain.baseAddress!, count: 1200)
            }
            guard csrtp_protect(self.library, self.sender, work.baseAddress, &length) == 0 else { return false }
            return csrtp_unprotect(self.library, self.receiver, work.baseAddress, &length) == 0 && length == 1200
        }
    }

    deinit {
        csrtp_session_free(self.library, self.sender)
        csrtp_session_free(self.library, self.receiver)
        csrtp_library_close(self.library)
    }
}

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .throughput]

    for build in srtpBuilds {
        for profile in profiles {
            Benchmark(
                "SRTPProtectUnprotect1200Bytes.\(profile.name).\(build.name)",
                configuration: .init(metrics: metrics, scalingFactor: .kilo, maxDuration: .seconds(3))
            ) { benchmark in
                guard let loop = SRTPLoop(path: build.path, profile: profile.index, keyLength: profile.keyLength) else {
                    return
                }
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    precondition(loop.run(), "SRTP round trip failed")
                }
            }
        }
    }
}
