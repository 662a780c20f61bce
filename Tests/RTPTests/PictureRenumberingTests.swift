import RTP
import Testing

@Suite struct PictureRenumberingTests {
    static func layers(_ picture: UInt16, tl0: UInt8, long: Bool = true) -> PacketLayers {
        var layers = PacketLayers()
        layers.pictureID = picture
        layers.pictureIDIndex = 2
        layers.hasLongPictureID = long
        layers.tl0PictureIndex = tl0
        layers.tl0PictureIndexIndex = long ? 4 : 3
        return layers
    }

    @Test func numbersPassUnchangedUntilAFrameIsDropped() {
        var numbering = PictureRenumbering()
        #expect(numbering.forward(Self.layers(7, tl0: 1)).pictureID == 7)
        #expect(!numbering.isRenumbering)
        numbering.drop(Self.layers(8, tl0: 1))
        #expect(numbering.isRenumbering)
        let next = numbering.forward(Self.layers(9, tl0: 2))
        #expect(next.pictureID == 8 && next.tl0PictureIndex == 2)
    }

    @Test func aPictureLostUpstreamStillLeavesItsGap() {
        var numbering = PictureRenumbering()
        _ = numbering.forward(Self.layers(1, tl0: 1))
        numbering.drop(Self.layers(2, tl0: 1))
        // 3 never came; 4 is forwarded: one gap (3's), not two.
        #expect(numbering.forward(Self.layers(4, tl0: 2)).pictureID == 3)
    }

    @Test func sevenBitPictureIDsWrapModulo128() {
        var numbering = PictureRenumbering()
        _ = numbering.forward(Self.layers(126, tl0: 0, long: false))
        numbering.drop(Self.layers(127, tl0: 0, long: false))
        #expect(numbering.forward(Self.layers(0, tl0: 1, long: false)).pictureID & 0x7F == 127)
        #expect(numbering.forward(Self.layers(1, tl0: 1, long: false)).pictureID & 0x7F == 0)
    }

    @Test func anotherStreamContinuesFromTheLastNumbersSent() {
        var numbering = PictureRenumbering()
        _ = numbering.forward(Self.layers(32_767, tl0: 255))
        numbering.switchSource()
        let first = numbering.forward(Self.layers(500, tl0: 40))
        #expect(first.pictureID == 0 && first.tl0PictureIndex == 0)
        #expect(numbering.forward(Self.layers(500, tl0: 40)).pictureID == 0)
        let second = numbering.forward(Self.layers(501, tl0: 41))
        #expect(second.pictureID == 1 && second.tl0PictureIndex == 1)
        // A resend of the first picture carries the numbers it was sent with; one of a
        // picture never forwarded is not resent.
        #expect(numbering.resent(Self.layers(500, tl0: 40))?.pictureID == 0)
        #expect(numbering.resent(Self.layers(499, tl0: 40)) == nil)
    }
}
