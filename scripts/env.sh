# Sourced by the other scripts: the Swift toolchain on PATH.
export PATH="/opt/swift/usr/bin:$PATH"
