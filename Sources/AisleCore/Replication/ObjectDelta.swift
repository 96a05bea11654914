/// The payload of one change: objects of one scope, as the change's author joined them.
///
/// Encoded as `A1 5E`, a format version, the scope, then each object as (kind, id, canonical
/// value) in key order. The same bytes serve the change log on disk and (with [3/6]) the sealed
/// envelope on the wire; docs/encoding.md explains why this format rather than protobuf.
public struct ObjectDelta: Equatable, Sendable {
    /// The format version this build writes.
    public static let formatVersion: UInt64 = 1
    static let magic: [UInt8] = [0xA1, 0x5E]

    public let scope: Scope
    /// The objects, all in ``scope``, each value matching its key's kind.
    public let objects: [ObjectKey: ObjectValue]

    /// A delta; every key must be in `scope` with a value of its kind (checked in debug builds).
    public init(scope: Scope, objects: [ObjectKey: ObjectValue]) {
        assert(objects.allSatisfy { $0.key.scope == scope && $0.value.kind == $0.key.kind })
        self.scope = scope
        self.objects = objects
    }

    /// Whether the delta holds no object.
    public var isEmpty: Bool { objects.isEmpty }

    /// The encoded bytes.
    public var encoded: [UInt8] {
        var encoder = CanonicalEncoder()
        Self.appendHeader(of: scope, count: objects.count, to: &encoder)
        appendObjects(to: &encoder)
        return encoder.bytes
    }

    /// Every object, in key order, as a delta lists them.
    private func appendObjects(to encoder: inout CanonicalEncoder) {
        for key in objects.keys.sorted() { Self.appendObject(objects[key]!, at: key, to: &encoder) }
    }

    /// What comes before the objects: marker, format version, scope and object count.
    static func appendHeader(of scope: Scope, count: Int, to encoder: inout CanonicalEncoder) {
        encoder.append(bytes: magic)
        encoder.append(formatVersion)
        encoder.append(scope)
        encoder.append(UInt64(count))
    }

    /// One object as a delta lists it: kind, id, value.
    static func appendObject(_ value: ObjectValue, at key: ObjectKey, to encoder: inout CanonicalEncoder) {
        encoder.append(UInt64(key.kind.rawValue))
        encoder.append(key.id)
        encoder.append(value)
    }

    /// The delta as a run envelope carries it (docs/sync.md, "Run envelopes"): its objects
    /// only (the envelope's header names the scope), and `origin`, the run's author, written in
    /// one byte wherever it is named (``CanonicalEncoder/impliedName``).
    public func encodedInRun(origin: ReplicaID) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.impliedName = origin.rawValue
        encoder.append(UInt64(objects.count))
        appendObjects(to: &encoder)
        return encoder.bytes
    }

    /// Decodes a delta of `scope` from its form in a run envelope by `origin`
    /// (``encodedInRun(origin:)``).
    /// - Throws: ``DeltaDecodingError`` as ``init(encoded:)``.
    public init(inRun bytes: [UInt8], scope: Scope, origin: ReplicaID) throws(DeltaDecodingError) {
        var decoder = CanonicalDecoder(bytes)
        decoder.impliedName = origin.rawValue
        self.init(scope: scope, objects: try Self.decodeObjects(of: scope, from: &decoder))
    }

    /// Decodes and validates an encoded delta.
    ///
    /// - Throws: ``DeltaDecodingError`` naming what is wrong: not a delta, a newer format, a
    ///   malformed scope, key or value, or trailing bytes. Nothing is partly decoded.
    public init(encoded bytes: [UInt8]) throws(DeltaDecodingError) {
        var decoder = CanonicalDecoder(bytes)
        let scope = try DeltaDecodingError.naming { () throws -> Scope in
            guard try decoder.readBytes() == Self.magic else { throw DeltaDecodingError.notADelta }
            let version = try decoder.readUInt64()
            guard version == Self.formatVersion else { throw DeltaDecodingError.unsupportedVersion(version) }
            let scopeText = try decoder.readString()
            return try Scope(scopeText)
        }
        self.init(scope: scope, objects: try Self.decodeObjects(of: scope, from: &decoder))
    }
}

extension ObjectDelta {
    /// The object count and objects of a delta of `scope`, to the end of `decoder`'s bytes.
    static func decodeObjects(of scope: Scope, from decoder: inout CanonicalDecoder) throws(DeltaDecodingError)
        -> [ObjectKey: ObjectValue]
    {
        try DeltaDecodingError.naming {
            let count = try decoder.readCount(elementSize: 3)
            var objects = [ObjectKey: ObjectValue](minimumCapacity: count)
            for _ in 0..<count {
                let rawKind = try decoder.readUInt64()
                guard rawKind <= UInt64(UInt8.max), let kind = ObjectKind(rawValue: UInt8(rawKind)) else {
                    throw DeltaDecodingError.invalidObject("unknown object kind \(rawKind)")
                }
                let id = try decoder.readString()
                let key = try ObjectKey(scope: scope, kind: kind, id: id)
                guard objects.updateValue(try ObjectValue.decode(kind, from: &decoder), forKey: key) == nil else {
                    throw DeltaDecodingError.invalidObject("object \(key) appears twice")
                }
            }
            try decoder.finish()
            return objects
        }
    }
}

extension DeltaDecodingError {
    /// Runs a step of decoding a delta, naming what it throws as a ``DeltaDecodingError``:
    /// malformed bytes as ``malformed(_:)``, any other error (an invalid scope or key, say) as
    /// ``invalidObject(_:)`` with its description.
    @inline(__always)
    static func naming<T>(_ step: () throws -> T) throws(DeltaDecodingError) -> T {
        do {
            return try step()
        } catch let error as CanonicalDecodingError {
            throw .malformed(error)
        } catch let error as DeltaDecodingError {
            throw error
        } catch {
            throw .invalidObject("\(error)")
        }
    }
}

/// Encoded bytes that are not a delta this build can apply.
public enum DeltaDecodingError: Error, Equatable, CustomStringConvertible {
    /// The bytes do not start with the delta marker.
    case notADelta
    /// Written by a newer Aisle; this build cannot read it.
    case unsupportedVersion(UInt64)
    /// A scope, key or value that is not valid.
    case invalidObject(String)
    /// Truncated, overlong or otherwise malformed bytes.
    case malformed(CanonicalDecodingError)

    public var description: String {
        switch self {
        case .notADelta: "not an Aisle delta (missing marker)"
        case .unsupportedVersion(let version):
            "delta format version \(version) is newer than this build reads (\(ObjectDelta.formatVersion)): upgrade Aisle"
        case .invalidObject(let problem): "invalid delta: \(problem)"
        case .malformed(let error): "corrupt delta: \(error)"
        }
    }
}
