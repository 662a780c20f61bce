import RTP
import Recording

/// Where a recorded producer's packets go besides its consumers: a copy into the
/// recorder's queue, of one stream (a simulcast track's highest), with its sender
/// reports for the recording's clock. The per-packet cost of a producer not recorded is
/// the check for a tap.
final class RecordingTap {
    let recorder: Recorder
    /// The recording (one per publisher) and the track's place in it.
    let recordingID: String
    let track: Int
    /// The stream recorded.
    unowned let stream: ProducerStream

    init(recorder: Recorder, recordingID: String, track: Int, stream: ProducerStream) {
        self.recorder = recorder
        self.recordingID = recordingID
        self.track = track
        self.stream = stream
    }

    @inline(__always)
    func record(_ packet: RTPPacket, of stream: ProducerStream) {
        guard stream === self.stream else { return }
        self.recorder.enqueue(packet, id: self.recordingID, track: self.track)
    }

    func record(_ report: SenderReport, of stream: ProducerStream) {
        guard stream === self.stream else { return }
        self.recorder.senderReport(
            id: self.recordingID,
            track: self.track,
            ntp: report.ntpTimestamp,
            timestamp: report.rtpTimestamp.rawValue
        )
    }
}
