import RTP
import Recording

/// Where a recorded producer's packets go besides its consumers: a copy into the
/// recorder's queue, of one stream, with the sender reports of every stream for the
/// recording's clock. A simulcast track is recorded from its highest stream; when that
/// stream stops (a publisher short of bandwidth drops its top encoding), from the highest
/// one still sending, from a key frame on, asked for; and from a higher one again at its
/// next key frame once it resumes. The per-packet cost of a producer not recorded is the
/// check for a tap.
final class RecordingTap {
    let recorder: Recorder
    /// The recording (one per publisher) and the track's place in it.
    let recordingID: String
    let track: Int
    /// The track's streams, lowest first, and the one recorded now.
    let streams: [ProducerStream]
    private(set) var current: ProducerStream

    init(recorder: Recorder, recordingID: String, track: Int, streams: [ProducerStream]) {
        self.recorder = recorder
        self.recordingID = recordingID
        self.track = track
        self.streams = streams
        self.current = streams[streams.count - 1]
    }

    @inline(__always)
    func record(_ packet: RTPPacket, of stream: ProducerStream, isKeyFrame: Bool) {
        if stream !== self.current {
            guard self.switches(to: stream, atKeyFrame: isKeyFrame) else { return }
            self.current = stream
        }
        self.recorder.enqueue(packet, id: self.recordingID, track: self.track)
    }

    /// Whether to record `stream` from this packet on: up to a higher stream at a key
    /// frame; down, once the stream recorded has stopped, to the highest stream still
    /// sending, at a key frame (asked for until it comes).
    private func switches(to stream: ProducerStream, atKeyFrame isKeyFrame: Bool) -> Bool {
        guard let index = self.streams.firstIndex(where: { $0 === stream }),
            let currentIndex = self.streams.firstIndex(where: { $0 === self.current })
        else { return false }
        if index > currentIndex { return isKeyFrame }
        guard !self.current.isActive, self.streams[(index + 1)...].allSatisfy({ !$0.isActive }) else { return false }
        if !isKeyFrame { stream.requestKeyFrame(now: .now) }
        return isKeyFrame
    }

    func record(_ report: SenderReport, of stream: ProducerStream) {
        guard self.streams.contains(where: { $0 === stream }) else { return }
        self.recorder.senderReport(
            id: self.recordingID,
            track: self.track,
            ssrc: report.ssrc,
            ntp: report.ntpTimestamp,
            timestamp: report.rtpTimestamp.rawValue
        )
    }
}
