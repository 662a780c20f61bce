internal import COpenSSL
internal import CSRTP

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

    /// Whether libsrtp2's crypto kernel initialised (it runs its cipher self-tests).
    /// NOTE: `srtp_init` is not thread-safe; this is the process's one call of it.
    public static func srtpInitializes() -> Bool {
        SRTPLibrary.isInitialized
    }
}
