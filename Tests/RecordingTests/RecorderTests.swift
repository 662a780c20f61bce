import Foundation
import RTP
import Synchronization
import Testing

@testable import Recording

/// The recorder's thread, driven as the media workers drive it: packets queued, files
/// written beside.
@Suite struct RecorderTests {
    final class Failures: Sendable {
        let errors = Mutex<[RecordingError]>([])
    }

    /// A disk that fills (files that are `/dev/full`): the recording stops with a
    /// `cannotWrite` error saying why, told once, counted, and in the summary; the
    /// recorder goes on for others. The media file, Janus's `.mjr` files, and both.
    @Test(arguments: [(true, false), (false, true), (true, true)])
    func aFullDiskStopsTheRecordingWithAClearError(media: Bool, janus: Bool) async throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("recorder-full-\(getpid())-\(media)-\(janus)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = folder.appendingPathComponent("full").path
        for file in [base + ".ogg", base + "-audio-0.mjr"] {
            try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: "/dev/full")
        }
        let recorder = Recorder()
        let failures = Failures()
        recorder.start(
            id: "full",
            output: .init(basePath: media ? base : nil, janusBasePaths: janus ? [base + "-audio-0"] : nil),
            tracks: [.init(codec: .opus, clockRate: 48_000, channels: 2)],
            failed: { error in failures.errors.withLock { $0.append(error) } },
            requestKeyFrame: { _ in }
        )
        recorder.senderReport(id: "full", track: 0, ssrc: 1, ntp: 1 << 32, timestamp: 0)
        for index in 0..<50 {
            let packet = RecordingSessionTests.packet(
                ssrc: 1,
                payloadType: 111,
                sequenceNumber: UInt16(index),
                timestamp: UInt32(index * 960),
                marker: false,
                payload: [0xFC, 0xFF, 0xFE]
            )
            recorder.enqueue(packet, id: "full", track: 0)
        }
        for _ in 0..<100 where failures.errors.withLock({ $0.isEmpty }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(200))
        let errors = failures.errors.withLock { $0 }
        #expect(errors.count == 1, "\(errors)")
        guard case .cannotWrite(_, let reason) = errors.first else {
            Issue.record("not a write error: \(errors)")
            return
        }
        #expect(reason == String(cString: strerror(ENOSPC)))
        #expect(recorder.failedRecordings == 1)
        let summary = await recorder.stop(id: "full")
        #expect(summary.failure?.contains("No space left on device") == true, "\(summary)")
        await recorder.shutdown()
    }
}
