import Foundation
public import SFU

/// `/metrics` in the Prometheus text format (version 0.0.4). The counts are a snapshot
/// taken from every room's worker at scrape time, so they are rendered here rather than
/// kept in a metrics registry that the media path would have to update per packet
/// (docs/decisions.md).
public enum MetricsExposition {
    public static func render(
        _ statistics: MediaStatistics,
        signaling: SignalingCounters,
        workers: Int,
        process: ProcessUsage? = .current()
    ) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                out +=
                    sample.labels.isEmpty ? "\(name) \(sample.value)\n" : "\(name){\(sample.labels)} \(sample.value)\n"
            }
        }
        func gauge(_ name: String, _ help: String, _ value: Int) { metric(name, "gauge", help, [("", "\(value)")]) }
        func counter(_ name: String, _ help: String, _ value: UInt64) {
            metric(name, "counter", help, [("", "\(value)")])
        }
        gauge("sfu_media_workers", "Media worker threads.", workers)
        gauge("sfu_rooms", "Rooms open.", statistics.rooms)
        gauge("sfu_participants", "Participants in rooms.", statistics.participants)
        gauge("sfu_publishers", "Participants publishing.", statistics.publishers)
        gauge("sfu_producers", "Published tracks.", statistics.producers)
        gauge("sfu_consumers", "Subscribed tracks (one per subscriber and track).", statistics.consumers)
        gauge("sfu_transports", "WebRTC transports (peer connections).", statistics.transports)
        gauge("sfu_transports_connected", "Transports with DTLS-SRTP keys.", statistics.connectedTransports)
        counter("sfu_packets_received_total", "Datagrams received on transports (STUN excluded).", statistics.packetsIn)
        counter("sfu_bytes_received_total", "Bytes of RTP and RTCP received after SRTP.", statistics.bytesIn)
        counter("sfu_packets_sent_total", "SRTP and SRTCP datagrams sent.", statistics.packetsOut)
        counter("sfu_bytes_sent_total", "Bytes of SRTP and SRTCP sent.", statistics.bytesOut)
        counter(
            "sfu_srtp_failures_total",
            "Datagrams that failed SRTP or SRTCP authentication.",
            statistics.srtpFailures
        )
        metric(
            "sfu_dropped_packets_total",
            "counter",
            "Datagrams dropped instead of forwarded, by reason.",
            DropReason.allCases.map { ("reason=\"\(Self.snakeCase("\($0)"))\"", "\(statistics.drops[$0])") }
        )
        counter("sfu_nacks_received_total", "Generic NACKs received from subscribers.", statistics.nacksReceived)
        counter(
            "sfu_retransmitted_packets_total",
            "Packets resent to subscribers for NACKs or transport-wide feedback.",
            statistics.retransmissions
        )
        counter(
            "sfu_loss_repairs_total",
            "Packets resent to subscribers because their transport-wide feedback reported them lost.",
            statistics.lossRepairs
        )
        counter("sfu_nacks_sent_total", "Generic NACKs sent to publishers for missing packets.", statistics.nacksSent)
        counter(
            "sfu_repaired_packets_total",
            "Missing packets repaired by publishers' retransmissions.",
            statistics.repairedPackets
        )
        counter("sfu_unrepaired_packets_total", "Missing packets given up on.", statistics.unrepairedPackets)
        counter(
            "sfu_transport_feedback_sent_total",
            "Transport-wide congestion-control feedback packets sent to publishers.",
            statistics.transportFeedbackSent
        )
        counter(
            "sfu_recording_packets_dropped_total",
            "Packets left out of recordings because the recorder's queue was full (a slow disk).",
            statistics.recordingPacketsDropped
        )
        counter(
            "sfu_recordings_failed_total",
            "Recordings that could not go on: a file not created or not written (a full disk).",
            statistics.recordingsFailed
        )
        // A histogram of the subscribers' estimates now (one sample per subscriber link).
        let estimate = "sfu_subscriber_bandwidth_estimate_bits_per_second"
        out += "# HELP \(estimate) Subscriber links' bandwidth estimates from their transport-wide feedback.\n"
        out += "# TYPE \(estimate) histogram\n"
        var cumulative = 0
        for (bound, count) in zip(MediaStatistics.estimateBounds, statistics.estimateBuckets) {
            cumulative += count
            out += "\(estimate)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        cumulative += statistics.estimateBuckets.last ?? 0
        out += "\(estimate)_bucket{le=\"+Inf\"} \(cumulative)\n"
        out += "\(estimate)_sum \(statistics.estimateSum)\n\(estimate)_count \(cumulative)\n"
        counter(
            "sfu_plis_received_total",
            "Picture loss indications from subscribers.",
            statistics.pictureLossIndications
        )
        counter("sfu_firs_received_total", "Full intra requests from subscribers.", statistics.fullIntraRequests)
        counter(
            "sfu_keyframe_requests_sent_total",
            "Keyframe requests (PLI) sent to publishers.",
            statistics.keyFrameRequestsSent
        )
        metric(
            "sfu_signaling_requests_total",
            "counter",
            "Signaling requests by face and type.",
            signaling.requestCounts.sorted { $0.key < $1.key }.map {
                ("face=\"\($0.key.face)\",type=\"\(Self.escape($0.key.name))\"", "\($0.value)")
            }
        )
        metric(
            "sfu_signaling_errors_total",
            "counter",
            "Signaling error replies by face and code.",
            signaling.errorCounts.sorted { $0.key < $1.key }.map {
                ("face=\"\($0.key.face)\",code=\"\(Self.escape($0.key.name))\"", "\($0.value)")
            }
        )
        metric(
            "sfu_client_limit_refusals_total",
            "counter",
            "Connections and requests refused by the per-address limits, by limit.",
            signaling.limitRefusalCounts.map { ("limit=\"\($0.limit)\"", "\($0.count)") }
        )
        metric(
            "sfu_http_deliveries_total",
            "counter",
            "POSTs to webhook and RTC callback URLs by result (delivered, retried, failed, dropped).",
            signaling.deliveryCounts.sorted { $0.key < $1.key }.map {
                ("kind=\"\($0.key.face)\",result=\"\($0.key.name)\"", "\($0.value)")
            }
        )
        metric(
            "sfu_signaling_connections",
            "gauge",
            "Open signaling connections by face.",
            signaling.openConnections.sorted { $0.key < $1.key }.map { ("face=\"\($0.key)\"", "\($0.value)") }
        )
        metric(
            "sfu_signaling_open",
            "gauge",
            "What the signaling faces hold open, by face and kind: Janus sessions and handles, RTC calls.",
            signaling.openCounts.sorted { $0.key < $1.key }.map {
                ("face=\"\($0.key.face)\",kind=\"\($0.key.name)\"", "\($0.value)")
            }
        )
        if let process {
            metric(
                "process_cpu_seconds_total",
                "counter",
                "User and system CPU time of the server.",
                [("", "\(process.cpuSeconds)")]
            )
            gauge("process_resident_memory_bytes", "Resident memory of the server.", process.residentBytes)
            gauge(
                "process_heap_in_use_bytes",
                "Bytes the C allocator has handed out and not had back (what a leak grows).",
                process.heapInUseBytes
            )
            gauge(
                "process_heap_free_bytes",
                "Bytes the C allocator holds free after a peak of use, kept rather than returned to the system.",
                process.heapFreeBytes
            )
            gauge("process_open_fds", "Open file descriptors of the server.", process.openFileDescriptors)
            gauge("process_threads", "Threads of the server.", process.threads)
        }
        return out
    }

    /// `malformedRTP` → `malformed_rtp`.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        var previousWasLower = false
        for character in name {
            if character.isUppercase, previousWasLower { out += "_" }
            out += character.lowercased()
            previousWasLower = character.isLowercase || character.isNumber
        }
        return out
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
