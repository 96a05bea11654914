extension MaxRegister: CanonicalDecodable where Value: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(try decoder.decode(Value.self))
    }
}

extension LWWRegister: CanonicalDecodable where Value: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        guard try decoder.readBool() else {
            self.init()
            return
        }
        let stamp = try decoder.decode(HLCTimestamp.self)
        self.init(try decoder.decode(Value.self), at: stamp)
    }
}

extension CounterEntry: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let amount = try decoder.readInt64()
        self.init(amount: amount, assignedAt: try decoder.decodeOptional(HLCTimestamp.self))
    }
}

extension DotFun: CanonicalDecodable where Value: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(try decoder.decodeMap(Dot.self, Value.self))
    }
}

extension DotMap: CanonicalDecodable where Key: CanonicalDecodable, Value: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(try decoder.decodeMap(Key.self, Value.self))
    }
}

extension Causal: CanonicalDecodable where Store: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let store = try decoder.decode(Store.self)
        let context = try decoder.decode(CausalContext.self)
        self.init(store: store, context: context)
        guard contextCoversStore else { throw decoder.failure("causal context does not cover every dot") }
    }
}

extension LatticeMap: CanonicalDecodable where Key: CanonicalDecodable, Value: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(try decoder.decodeMap(Key.self, Value.self))
    }
}

extension LWWMap: CanonicalDecodable where Key: CanonicalDecodable, Value: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(registers: try decoder.decode(LatticeMap<Key, LWWRegister<Value?>>.self))
    }
}

extension PNCounter: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let increments = try decoder.decodeMap(ReplicaID.self, UInt64.self)
        self.init(increments: increments, decrements: try decoder.decodeMap(ReplicaID.self, UInt64.self))
    }
}

extension BoundedCounter.Transfer: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let from = try decoder.decode(ReplicaID.self)
        self.init(from: from, to: try decoder.decode(ReplicaID.self))
    }
}

extension BoundedCounter: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let counts = try decoder.decode(PNCounter.self)
        self.init(counts: counts, transfers: try decoder.decodeMap(Transfer.self, UInt64.self))
    }
}

extension ORMap: CanonicalDecodable where Key: CanonicalDecodable, Value: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self.init(state: try decoder.decode(Causal<DotMap<Key, DotFun<Value>>>.self))
    }
}
