import RTP
import Recording

/// Where a recorded producer's packets go besides its consumers: a copy into the
/// recorder's queue, of one stream, with the sender reports of every stream for the
/// recording's clock. A simulcast track is recorded from its highest stream; when that
/// stream stops (a publisher short of bandwidth drops its top encoding: nothing of it for
/// 500 ms while a lower stream sends), from the highest one still sending, from a key
/// frame on, asked for; and from a higher one again at its next key frame once it
/// resumes. When the recorder lost the recorded stream's thread (a loss not repaired),
/// the first key frame of any stream is taken, lower ones included: the recording goes
/// on at a lower resolution rather than waits for the higher stream's key frame.
///
/// The per-packet cost of a producer not recorded is the check for a tap; of a recorded
/// one, a copy into the queue, and for each packet of a stream not recorded, a look at
/// the clock while the recorded one is sending.
final class RecordingTap {
    let recorder: Recorder
    /// The recording (one per publisher) and the track's place in it.
    let recordingID: String
    let track: Int
    /// The track's streams, lowest first, and the place of the one recorded now.
    let streams: [ProducerStream]
    private var currentIndex: Int
    var current: ProducerStream { self.streams[self.currentIndex] }
    /// The recorded stream's packet count when it was last seen to grow, and when.
    private var seenPackets: UInt64 = 0
    private var lastProgress: ContinuousClock.Instant?
    static let stall: Duration = .milliseconds(500)
    /// The recorder waits for a key frame: any stream's will do.
    private var takesAnyKeyFrame = false

    init(recorder: Recorder, recordingID: String, track: Int, streams: [ProducerStream]) {
        self.recorder = recorder
        self.recordingID = recordingID
        self.track = track
        self.streams = streams
        self.currentIndex = streams.count - 1
    }

    /// Not inlined: the fan-out of a producer that is not recorded stays as small as it
    /// was (measured: inlined, 1 → 100 cost 2 % more per packet with no tap at all).
    @inline(never)
    func record(_ packet: RTPPacket, of stream: ProducerStream, isKeyFrame: Bool) {
        if stream !== self.current {
            guard let index = self.streams.firstIndex(where: { $0 === stream }),
                self.switches(to: index, atKeyFrame: isKeyFrame)
            else { return }
            self.currentIndex = index
            self.lastProgress = nil
            self.takesAnyKeyFrame = false
        } else if isKeyFrame {
            self.takesAnyKeyFrame = false
        }
        self.recorder.enqueue(packet, id: self.recordingID, track: self.track)
    }

    /// Whether to record `stream` from this packet on: up to a higher stream at a key
    /// frame; down, once the stream recorded has stopped, to the highest stream still
    /// sending, at a key frame (asked for until it comes).
    private func switches(to index: Int, atKeyFrame isKeyFrame: Bool) -> Bool {
        if index > self.currentIndex || self.takesAnyKeyFrame { return isKeyFrame }
        guard self.recordedStreamStopped(),
            self.streams[(index + 1)..<self.currentIndex].allSatisfy({ !$0.isActive })
        else { return false }
        if !isKeyFrame { self.streams[index].requestKeyFrame(now: .now) }
        return isKeyFrame
    }

    /// The recorder needs a key frame to go on (it started, or lost packets for good):
    /// the next key frame of any stream is taken.
    func takeNextKeyFrame() {
        self.takesAnyKeyFrame = self.streams.count > 1
    }

    /// Whether the recorded stream sent nothing for `stall` (seen from another stream's
    /// packets), or in the last check of the producer's streams.
    private func recordedStreamStopped() -> Bool {
        guard self.current.isActive else { return true }
        let now = ContinuousClock.now
        guard let last = self.lastProgress, self.current.packets == self.seenPackets else {
            self.seenPackets = self.current.packets
            self.lastProgress = now
            return false
        }
        return now - last > Self.stall
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
