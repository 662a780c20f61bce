import DTLS
import Foundation

/// Carries datagrams between two in-memory sessions, through a network that may drop,
/// duplicate or reorder them, until both are connected or one fails. Real time passes
/// for retransmissions (OpenSSL's timers read the clock); the loop is bounded.
struct HandshakeHarness {
    var client: DTLSSession
    var server: DTLSSession
    /// Called with each datagram and its running index; returns what the network delivers.
    var network: (Int, [UInt8]) -> [[UInt8]] = { _, datagram in [datagram] }
    var reorder = false
    private(set) var delivered: [[UInt8]] = []
    private var index = 0

    init(client: DTLSSession, server: DTLSSession) {
        self.client = client
        self.server = server
    }

    /// Either side failed, or both are past the handshake.
    var isSettled: Bool {
        func failed(_ state: DTLSSession.State) -> Bool {
            if case .failed = state { return true }
            return false
        }
        func done(_ state: DTLSSession.State) -> Bool { state == .connected || state == .closed }
        return failed(self.client.state) || failed(self.server.state)
            || (done(self.client.state) && done(self.server.state))
    }

    mutating func carry(_ datagrams: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for datagram in datagrams {
            self.index += 1
            out += self.network(self.index, datagram)
        }
        self.delivered += out
        return self.reorder ? out.reversed() : out
    }

    /// Runs the handshake for at most `limit`; returns how long it took.
    @discardableResult
    mutating func run(limit: Duration = .seconds(10)) -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        var toServer = self.carry(self.client.start(at: start))
        _ = self.server.start(at: start)
        var toClient: [[UInt8]] = []
        while !self.isSettled, clock.now - start < limit {
            if toServer.isEmpty && toClient.isEmpty {
                let waits = [self.client.nextTimeout, self.server.nextTimeout].compactMap { $0 }
                let wait = waits.min() ?? .milliseconds(5)
                Thread.sleep(forTimeInterval: Double(wait / .milliseconds(1)) / 1000 + 0.001)
                toServer = self.carry(self.client.handleTimeout(at: clock.now))
                toClient = self.carry(self.server.handleTimeout(at: clock.now))
                continue
            }
            var nextToClient: [[UInt8]] = []
            for datagram in toServer { nextToClient += self.server.receive(datagram, at: clock.now) }
            var nextToServer: [[UInt8]] = []
            for datagram in toClient { nextToServer += self.client.receive(datagram, at: clock.now) }
            toClient = self.carry(nextToClient)
            toServer = self.carry(nextToServer)
        }
        return clock.now - start
    }
}
