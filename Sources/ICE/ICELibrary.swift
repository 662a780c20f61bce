internal import CNice

/// The libnice build this process is linked against.
public enum ICELibrary {
    /// libnice's version as major, minor and micro numbers.
    public static var version: (major: Int, minor: Int, micro: Int) {
        (Int(cnice_version_major()), Int(cnice_version_minor()), Int(cnice_version_micro()))
    }

    /// The version as "major.minor.micro".
    public static var versionString: String {
        let v = Self.version
        return "\(v.major).\(v.minor).\(v.micro)"
    }
}
