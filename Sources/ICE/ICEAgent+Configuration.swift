extension ICEAgent {
    /// How an agent gathers and checks candidates. Every address is an IP literal:
    /// libnice does not resolve names, and a name that does not parse is an error.
    public struct Configuration: Sendable {
        /// Controlling when the server offers; controlled when it answers a browser.
        public var isControlling: Bool
        /// Local addresses to gather host candidates on (loopback included).
        public var localAddresses: [String]
        /// UDP ports to bind; `nil` lets the kernel choose.
        public var portRange: ClosedRange<UInt16>?
        /// The public address of a 1:1 NAT in front of this host (Janus's
        /// `nat_1_1_mapping`): host candidates are advertised with it, same port.
        public var advertisedAddress: String?
        /// With `advertisedAddress`, also advertise the private host candidates
        /// (Janus's `keep_private_host`).
        public var keepsPrivateHostCandidates: Bool
        /// A STUN server for server-reflexive candidates.
        public var stunServer: ServerAddress?
        /// TURN servers to allocate relayed candidates on.
        public var turnServers: [TURNServer]
        /// Gather ICE-TCP (RFC 6544) candidates too.
        public var usesTCP: Bool
        /// A connected peer that sends nothing for this long is declared failed. A WebRTC
        /// peer sends RTCP and consent checks every few seconds, so silence means it is
        /// gone; libnice's keepalives are then binding indications, which ask for nothing.
        /// `nil` leaves it to libnice's keepalives as checks, which give up 50 s after the
        /// last one answered.
        public var silenceTimeout: Duration?
        /// A connected peer that sends nothing for this long is reported silent
        /// (`ICEAgent.onSilence`, once per silence): its path likely died (a network
        /// change), and an ICE restart may find another. `nil` reports nothing.
        public var silenceBeforeRestart: Duration?
        /// Media that waited longer than this in the selected socket's receive queue
        /// before the worker read it is dropped unforwarded (the kernel's receive time
        /// tells). A worker over its capacity then sheds what is already late, at the
        /// cost of a read, instead of queueing seconds of media in front of what is
        /// fresh (docs/decisions.md). `nil` forwards everything.
        public var maximumQueueDelay: Duration?

        public init(
            isControlling: Bool = false,
            localAddresses: [String] = ["127.0.0.1"],
            portRange: ClosedRange<UInt16>? = nil,
            advertisedAddress: String? = nil,
            keepsPrivateHostCandidates: Bool = false,
            stunServer: ServerAddress? = nil,
            turnServers: [TURNServer] = [],
            usesTCP: Bool = false,
            silenceTimeout: Duration? = .seconds(30),
            silenceBeforeRestart: Duration? = .seconds(4),
            maximumQueueDelay: Duration? = .milliseconds(200)
        ) {
            self.isControlling = isControlling
            self.localAddresses = localAddresses
            self.portRange = portRange
            self.advertisedAddress = advertisedAddress
            self.keepsPrivateHostCandidates = keepsPrivateHostCandidates
            self.stunServer = stunServer
            self.turnServers = turnServers
            self.usesTCP = usesTCP
            self.silenceTimeout = silenceTimeout
            self.silenceBeforeRestart = silenceBeforeRestart
            self.maximumQueueDelay = maximumQueueDelay
        }
    }

    public struct ServerAddress: Sendable, Equatable {
        public var address: String
        public var port: UInt16

        public init(address: String, port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    public struct TURNServer: Sendable, Equatable {
        public enum Transport: Sendable, Equatable {
            case udp, tcp, tls
        }

        public var server: ServerAddress
        public var transport: Transport
        public var username: String
        public var password: String

        public init(server: ServerAddress, transport: Transport = .udp, username: String, password: String) {
            self.server = server
            self.transport = transport
            self.username = username
            self.password = password
        }
    }

    /// The candidate pair media flows on.
    public struct SelectedPair: Sendable, Equatable {
        /// `address:port` of each side.
        public var local: String
        public var remote: String
        /// Plain UDP on the local side (not relayed, not TCP): `selectedSocket()` is
        /// available for batched sends.
        public var isPlainUDP: Bool
    }
}
