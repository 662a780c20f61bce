internal import COpenSSL
internal import CSRTP
import Foundation

/// The crypto libraries this process is linked against, as they report themselves.
public enum CryptoLibraries {
    /// OpenSSL's version string, for example "OpenSSL 3.0.19 27 Jan 2026".
    public static var openSSLVersion: String {
        String(cString: OpenSSL_version(numericCast(OPENSSL_VERSION)))
    }

    /// libsrtp2's version string, for example "libsrtp2 2.5.0".
    public static var srtpVersion: String {
        String(cString: srtp_get_version_string())
    }

    /// The file `srtp_protect` was loaded from: the executable itself when the OpenSSL
    /// build is linked statically, Debian's `libsrtp2.so.1` when the build fell back.
    public static var srtpLibraryPath: String {
        let function:
            @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?)
                -> srtp_err_status_t = srtp_protect
        let address = UInt(bitPattern: unsafeBitCast(function, to: UnsafeRawPointer.self))
        // NOTE: dladdr needs _GNU_SOURCE, which Swift's Glibc lacks; /proc/self/maps
        // names the file mapped at every address.
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return "unknown" }
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let bounds = fields.first?.split(separator: "-") ?? []
            guard fields.count >= 6, bounds.count == 2, let low = UInt(bounds[0], radix: 16),
                let high = UInt(bounds[1], radix: 16), (low..<high).contains(address)
            else { continue }
            return fields[5...].joined(separator: " ")
        }
        return "unknown"
    }

    /// Whether libsrtp2's crypto kernel initialised (it runs its cipher self-tests).
    /// NOTE: `srtp_init` is not thread-safe; this is the process's one call of it.
    public static func srtpInitializes() -> Bool {
        SRTPLibrary.isInitialized
    }
}
