import Foundation
import Signaling
import Testing

@Suite struct ProcessUsageTests {
    /// Whether AddressSanitizer's allocator stands in for the C library's (its build of
    /// the tests): `mallinfo2` then counts nothing that the process allocates.
    static let allocatorIsSanitizers = dlsym(nil, "__asan_init") != nil

    /// The heap figures follow what the process holds: a large block taken shows in the
    /// bytes in use and leaves them when it is given back. (The other suites allocate
    /// beside this one: the block is large, the margins wide.)
    @Test func theHeapInUseFollowsWhatIsHeld() throws {
        let block = 128 << 20
        let before = try #require(ProcessUsage.current())
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: block, alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 1)
        let holding = try #require(ProcessUsage.current())
        memory.deallocate()
        let after = try #require(ProcessUsage.current())
        #expect(holding.residentBytes - before.residentBytes > block - (32 << 20))
        #expect(before.heapFreeBytes >= 0 && after.heapFreeBytes >= 0)
        guard !Self.allocatorIsSanitizers else { return }
        #expect(holding.heapInUseBytes - before.heapInUseBytes > block - (32 << 20))
        #expect(holding.heapInUseBytes - after.heapInUseBytes > block - (32 << 20))
    }
}
