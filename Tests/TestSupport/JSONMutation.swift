/// Small random edits of a JSON request's bytes, for property tests of the faces'
/// parsers: a byte changed, a byte removed, a structural character inserted, or the
/// text cut short.
public enum JSONMutation {
    public static func mutate(_ bytes: inout [UInt8], edits: ClosedRange<Int>, using random: inout SplitMix64) {
        for _ in 0..<Int.random(in: edits, using: &random) {
            let index = Int.random(in: 0..<max(1, bytes.count), using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: if !bytes.isEmpty { bytes[index] = UInt8.random(in: 0...255, using: &random) }
            case 1: if !bytes.isEmpty { bytes.remove(at: index) }
            case 2: bytes.insert(Array(#"{}[]":,0tn\"#.utf8).randomElement(using: &random)!, at: index)
            default: bytes = Array(bytes.prefix(index))
            }
        }
    }
}
