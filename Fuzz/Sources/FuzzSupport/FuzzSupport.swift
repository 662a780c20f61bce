import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The body under test; set once before libFuzzer starts, read only by its thread.
nonisolated(unsafe) private var fuzzBody: (UnsafeRawBufferPointer) -> Void = { _ in }

/// Runs libFuzzer with the process's arguments, calling `body` with each input, and
/// exits with libFuzzer's status. Rejecting an input is fine; trapping is the finding.
public func runFuzzer(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    fuzzBody = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(
        LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            fuzzBody(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
    )
}
