import Foundation
import SFU
import TestSupport
import Testing

@testable import Signaling

/// The native protocol's parser on hostile input: mutations of every valid request and
/// random bytes either parse or give a typed error, never a trap; what parses has a
/// known type and an id of an allowed kind.
@Suite struct NativeRequestPropertyTests {
    static let valid = [
        #"{"type":"join","id":1,"room":"demo","displayName":"Alice","pin":"1234"}"#,
        #"{"type":"publish","id":"a","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"}"#,
        #"{"type":"subscribe","id":3,"tracks":["p-1:0","p-1:1"]}"#,
        #"{"type":"answer","id":4,"sdp":"v=0"}"#,
        #"{"type":"trickle","id":5,"target":"publish","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0"}}"#,
        #"{"type":"mute","id":6,"muted":true,"track":"p-1:0"}"#,
        #"{"type":"layers","id":8,"mid":"1","spatialLayer":0}"#,
        #"{"type":"unpublish","id":7}"#,
        #"{"type":"leave"}"#,
        #"{"type":"ping","id":null}"#,
    ]

    @Test func mutatedRequestsParseOrFailWithACode() {
        var random = SplitMix64(seed: 0x5F_5F_5F)
        var parsed = 0
        var failed = 0
        for _ in 0..<20_000 {
            var bytes = Array(Self.valid.randomElement(using: &random)!.utf8)
            JSONMutation.mutate(&bytes, edits: 1...6, using: &random)
            do {
                let request = try NativeRequest(parsing: String(decoding: bytes, as: UTF8.self))
                parsed += 1
                switch request.id {
                case .null, .string, .number: break
                default: Issue.record("id of a disallowed kind: \(request.id)")
                }
                // Every field accessor answers with a value or a typed error.
                _ = try? request.string("sdp")
                _ = try? request.roomName()
                _ = try? request.optionalStrings("tracks")
                _ = try? request.optionalBool("muted")
                _ = try? request.target()
                _ = try? NativeSession.candidate(in: request)
            } catch {
                failed += 1
                #expect(!error.message.isEmpty)
            }
        }
        #expect(parsed > 1000 && failed > 1000, "parsed \(parsed), failed \(failed)")
    }

    @Test func randomBytesNeverParseIntoARequestByAccident() {
        var random = SplitMix64(seed: 99)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            #expect(throws: NativeError.self) { try NativeRequest(parsing: String(decoding: bytes, as: UTF8.self)) }
        }
    }

    @Test func deepNestingAndHugeNumbersAreErrors() {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(throws: NativeError(.invalidJSON, "the message is not JSON")) { try NativeRequest(parsing: deep) }
        let request = try? NativeRequest(parsing: #"{"type":"ping","id":1e400}"#)
        #expect(request == nil || request?.id.intValue == nil)
        #expect(throws: NativeError.self) { try NativeRequest(parsing: #"{"type":"ping","id":[1]}"#) }
    }

    @Test func fieldsAreCheckedByName() throws {
        let request = try NativeRequest(parsing: #"{"type":"join","room":7,"displayName":"x"}"#)
        #expect(throws: NativeError(.invalidMessage, "'room' must be a string")) { try request.roomName() }
        let long = try NativeRequest(parsing: #"{"type":"join","room":"\#(String(repeating: "r", count: 129))"}"#)
        #expect(throws: NativeError.self) { try long.roomName() }
        let trickle = try NativeRequest(parsing: #"{"type":"trickle","target":"publish","candidate":null}"#)
        #expect(try NativeSession.candidate(in: trickle) == "")
        #expect(try trickle.target() == .publish)
    }
}
