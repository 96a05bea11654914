extension Dot: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let replica = try decoder.decode(ReplicaID.self)
        let counter = try decoder.readUInt64()
        guard counter > 0 else { throw decoder.failure("dot counter 0 (counters start at 1)") }
        self.init(replica, counter)
    }
}

extension VersionVector: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(try decoder.decodeMap(ReplicaID.self, UInt64.self))
    }
}

extension CausalContext: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let compact = try decoder.decode(VersionVector.self)
        let cloud = try decoder.decodeArray(Dot.self)
        self.init(compact: compact, cloud: Set(cloud))
    }
}

extension HLCTimestamp: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let packed = try decoder.readUInt64()
        let replica = try decoder.decode(ReplicaID.self)
        self.init(physical: packed >> 16, counter: UInt16(truncatingIfNeeded: packed), replica: replica)
    }
}
