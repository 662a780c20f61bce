// Fuzzes what the signaling faces make of a client's message, through their real
// handling: the first byte picks the JSON parser (whose output must print and parse back
// to itself), the Janus API (a request as its HTTP transport takes it: the reply is a
// Janus message), the native protocol (a connection's message: answered, JSON with a
// type), the RTC face (its reply names a message type), or a trickled ICE candidate.
// Requests that create rooms or sessions do so: the state builds up as in a server.
import Dispatch
import FuzzSupport
import Logging
import SDP
import SFU
import Signaling

let server = try! MediaServer(configuration: .init(workers: 1))
let janus = JanusGateway(server: server, configuration: JanusConfiguration(rooms: [], implicitSessions: true))
let rtc = RTCFace(server: server, callbackURL: nil, delivery: HTTPDelivery(secret: nil, counters: SignalingCounters()))
let native = NativeFace(server: server)
let logger = Logger(label: "fuzz")

/// Runs `body` to its end on the concurrency pool, the fuzzer's thread waiting.
func blocking(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}

runFuzzer { bytes in
    guard let selector = bytes.first else { return }
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    switch selector % 5 {
    case 0:
        guard let value = JSONValue.parse(text) else { return }
        precondition(JSONValue.parse(value.text) == value, "printed JSON parses back to itself")
    case 1:
        blocking {
            let reply = await janus.receive(text, session: nil, handle: nil)
            precondition(reply["janus"]?.stringValue != nil, "a Janus reply says what it is")
        }
    case 2:
        blocking {
            // A connection of its own: a message is answered once, at once.
            let (replies, send) = AsyncStream<String>.makeStream()
            let connection = native.connection(send: send, logger: logger)
            await connection.receive(text)
            await connection.close()
            send.finish()
            var answers = 0
            for await reply in replies {
                precondition(JSONValue.parse(reply)?["type"]?.stringValue != nil, "a native message has a type")
                answers += 1
            }
            precondition(answers >= 1, "every message is answered")
        }
    case 3:
        blocking {
            let (status, reply) = await rtc.handle(text)
            precondition((200...599).contains(status), "an HTTP status")
            precondition(!reply.name.isEmpty, "an RTC reply names its message")
        }
    default:
        _ = Candidate(sdpValue: text)
    }
}
