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

    /// The shared libsrtp2 files mapped into this process (Debian's `libsrtp2.so.1` when the
    /// build fell back to it); empty when the OpenSSL build is linked in statically.
    /// NOTE: the address of `srtp_protect` taken from Swift is a PLT entry of the calling binary,
    /// so it cannot say which library answers it; /proc/self/maps names every mapped file.
    /// It is read to its end: `String(contentsOfFile:)` stops after the first page of a
    /// file whose size the kernel reports as 0.
    public static var sharedSRTPLibraries: Set<String> {
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps"),
            let data = try? handle.readToEnd()
        else { return [] }
        let maps = String(decoding: data, as: UTF8.self)
        var files: Set<String> = []
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6 else { continue }
            let path = fields[5...].joined(separator: " ")
            if path.split(separator: "/").last?.hasPrefix("libsrtp2") == true { files.insert(path) }
        }
        return files
    }

    /// Whether libsrtp2's crypto kernel initialised (it runs its cipher self-tests).
    /// NOTE: `srtp_init` is not thread-safe; this is the process's one call of it.
    public static func srtpInitializes() -> Bool {
        SRTPLibrary.isInitialized
    }
}
