import NIOCore

/// The dependency descriptor header extension (AV1 RTP specification, appendix A), which
/// Chromium sends with VP8, VP9 and AV1 when it is negotiated: then the VP8 payload
/// descriptor carries no temporal layer, and the frame's layers are told here.
///
/// Each packet names a frame template; a key frame's first packet carries the template
/// dependency structure, which gives every template its spatial and temporal layer and,
/// per decode target, whether a frame of it is a switch point. A consumer reads a
/// packet's layers through the stream's last structure.
public struct FrameDependencyStructure: Sendable, Equatable {
    /// One template: its layers, and whether a frame made from it is a switch point for
    /// the decode target of its own layers (from there a decoder that had only the lower
    /// layers decodes that target).
    public struct Template: Sendable, Equatable {
        public var spatialLayer: UInt8
        public var temporalLayer: UInt8
        public var isSwitch: Bool
    }

    /// The template id of the structure's first template.
    public var templateIDOffset: UInt8
    public var templates: [Template] {
        didSet { self.lowestSpatialLayer = self.templates.map(\.spatialLayer).min() ?? 0 }
    }
    /// The lowest spatial layer its templates name: a picture starts with a frame of it.
    public private(set) var lowestSpatialLayer: UInt8
    /// Each spatial layer's picture size, lowest first, when the structure states them
    /// (Chromium's AV1 SVC does); empty when it does not.
    public var resolutions: [FrameSize]

    public init(templateIDOffset: UInt8, templates: [Template], resolutions: [FrameSize] = []) {
        self.templateIDOffset = templateIDOffset
        self.templates = templates
        self.lowestSpatialLayer = templates.map(\.spatialLayer).min() ?? 0
        self.resolutions = resolutions
    }

    /// The template a packet's template id names, when the structure has it.
    @inlinable
    public func template(_ templateID: UInt8) -> Template? {
        let index = Int((templateID &+ 64 &- self.templateIDOffset) % 64)
        return index < self.templates.count ? self.templates[index] : nil
    }
}

/// What one packet's dependency descriptor says: the mandatory fields, and the template
/// dependency structure when the packet carries one.
public struct DependencyDescriptor: Sendable, Equatable {
    public var startsFrame: Bool
    public var endsFrame: Bool
    public var templateID: UInt8
    public var frameNumber: UInt16
    public var structure: FrameDependencyStructure?

    /// Reads the descriptor from an extension element's value.
    public init(validating bytes: UnsafeRawBufferPointer) throws(CodecParseError) {
        guard bytes.count >= 3 else { throw .truncatedDescriptor }
        self.startsFrame = bytes[0] & 0x80 != 0
        self.endsFrame = bytes[0] & 0x40 != 0
        self.templateID = bytes[0] & 0x3F
        self.frameNumber = UInt16(bytes[1]) << 8 | UInt16(bytes[2])
        self.structure = nil
        guard bytes.count > 3 else { return }
        var bits = BitReader(bytes, fromByte: 3)
        let structurePresent = try bits.read(1) == 1
        _ = try bits.read(4)  // active decode targets, custom DTIs, fdiffs, chains
        guard structurePresent else { return }
        let offset = UInt8(try bits.read(6))
        let decodeTargets = Int(try bits.read(5)) + 1
        // Template layers: each next_layer_idc says same layers (0), next temporal
        // layer (1), next spatial layer (2), or the end (3).
        var layers: [(spatial: UInt8, temporal: UInt8)] = []
        var spatial: UInt8 = 0
        var temporal: UInt8 = 0
        while true {
            layers.append((spatial, temporal))
            guard layers.count <= 64 else { throw .truncatedDescriptor }
            let next = try bits.read(2)
            if next == 3 { break }
            if next == 1 {
                temporal += 1
            } else if next == 2 {
                temporal = 0
                spatial += 1
            }
            guard spatial < 8, temporal < 8 else { throw .truncatedDescriptor }
        }
        // Decode target indications per template: 0 not present, 1 discardable,
        // 2 switch, 3 required.
        var indications: [[UInt8]] = []
        for _ in layers {
            var row: [UInt8] = []
            for _ in 0..<decodeTargets { row.append(UInt8(try bits.read(2))) }
            indications.append(row)
        }
        // A decode target's layers: the highest of the templates present in it.
        var targetLayers: [(spatial: UInt8, temporal: UInt8)] = []
        for target in 0..<decodeTargets {
            var highest: (spatial: UInt8, temporal: UInt8) = (0, 0)
            for (index, layer) in layers.enumerated() where indications[index][target] != 0 {
                highest = (max(highest.spatial, layer.spatial), max(highest.temporal, layer.temporal))
            }
            targetLayers.append(highest)
        }
        let templates = layers.enumerated().map { index, layer in
            let target = targetLayers.firstIndex { $0 == layer }
            return FrameDependencyStructure.Template(
                spatialLayer: layer.spatial,
                temporalLayer: layer.temporal,
                isSwitch: target.map { indications[index][$0] == 2 } ?? false
            )
        }
        // Then each template's frame differences and chains, read past, and the
        // resolutions (appendix A.8.3: template_fdiffs, template_chains,
        // render_resolutions).
        for _ in layers {
            while try bits.read(1) == 1 { _ = try bits.read(4) }
        }
        let chains = try bits.readNonSymmetric(UInt32(decodeTargets) + 1)
        if chains > 0 {
            for _ in 0..<decodeTargets { _ = try bits.readNonSymmetric(chains) }
            for _ in layers { for _ in 0..<chains { _ = try bits.read(4) } }
        }
        var resolutions: [FrameSize] = []
        if try bits.read(1) == 1 {
            for _ in 0...Int(spatial) {
                let width = Int(try bits.read(16)) + 1
                let height = Int(try bits.read(16)) + 1
                resolutions.append(FrameSize(width: width, height: height))
            }
        }
        self.structure = FrameDependencyStructure(
            templateIDOffset: offset,
            templates: templates,
            resolutions: resolutions
        )
    }
}

/// Reads a byte buffer most significant bit first, throwing when it ends.
struct BitReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int

    init(_ bytes: UnsafeRawBufferPointer, fromByte byte: Int) {
        self.bytes = bytes
        self.position = byte * 8
    }

    mutating func read(_ count: Int) throws(CodecParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            let byte = self.position / 8
            guard byte < self.bytes.count else { throw .truncatedDescriptor }
            value = value << 1 | UInt32((self.bytes[byte] >> (7 - self.position % 8)) & 1)
            self.position += 1
        }
        return value
    }

    /// A non-symmetric unsigned value below `count` (appendix A.8.1, `ns(n)`): the
    /// smaller values in one bit fewer.
    mutating func readNonSymmetric(_ count: UInt32) throws(CodecParseError) -> UInt32 {
        guard count > 1 else { return 0 }
        let width = 32 - count.leadingZeroBitCount
        let short = (UInt32(1) << width) - count
        let value = try self.read(width - 1)
        if value < short { return value }
        return (value << 1) - short + (try self.read(1))
    }
}

extension RTPPacket {
    /// Reads the dependency descriptor in element `id` into `layers` (temporal and
    /// spatial layer, picture start and layer frame end, layer sync), through
    /// `structure`, the stream's last template
    /// structure, which a packet that carries a new one replaces. Leaves `layers` as they
    /// are when the packet has no descriptor, it does not parse, or no structure is known.
    public func readDependencyDescriptor(
        id: UInt8,
        structure: inout FrameDependencyStructure?,
        into layers: inout PacketLayers
    ) {
        guard let range = self.extensionValue(id, length: 3) else { return }
        // The range counts from the buffer's start; the readable bytes from the packet's.
        let start = self.start
        let descriptor = self.buffer.withUnsafeReadableBytes { bytes in
            try? DependencyDescriptor(
                validating: UnsafeRawBufferPointer(
                    rebasing: bytes[(range.lowerBound - start)..<(range.upperBound - start)]
                )
            )
        }
        guard let descriptor else { return }
        if let new = descriptor.structure { structure = new }
        guard let template = structure?.template(descriptor.templateID) else { return }
        layers.temporalLayer = template.temporalLayer
        layers.isLayerSync = template.isSwitch
        // A picture starts with its lowest spatial layer's frame (AV1 SVC sends each
        // layer's frame with its own start and end).
        layers.startsFrame = descriptor.startsFrame && template.spatialLayer == structure?.lowestSpatialLayer
        layers.spatialLayer = template.spatialLayer
        layers.endsLayerFrame = descriptor.endsFrame
    }
}
