/// Writes values as canonical bytes: the same value always produces the same bytes, on every node.
///
/// Integers are LEB128 varints (signed ones zigzag-encoded first), strings and byte runs are
/// length-prefixed, and collections are written in the order of their sorted keys, so that
/// hash-map iteration order never leaks into a digest.
public struct CanonicalEncoder: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8] { storage }
    // Internal storage the inlinable appends below write to (they inline into other modules'
    // hot loops: payload assembly, state encoding).
    @usableFromInline var storage: [UInt8] = []
    /// When set, an identifier with this name is written as the empty text, which no identifier
    /// is: a run envelope's changes name their origin (in their dots and stamps) in one byte, not
    /// in its whole name (``ObjectDelta/encodedInRun(origin:)``). A ``CanonicalDecoder`` with the
    /// same name reads them back.
    public var impliedName: String?

    public init() {}

    /// An encoder with room for `capacity` bytes, for large payloads assembled in one go.
    public init(reservingCapacity capacity: Int) {
        storage.reserveCapacity(capacity)
    }

    /// Appends an unsigned integer as a LEB128 varint.
    @inlinable
    public mutating func append(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            storage.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        storage.append(UInt8(remaining))
    }

    /// Appends a signed integer, zigzag-encoded so small magnitudes stay short.
    @inlinable
    public mutating func append(_ value: Int64) {
        append(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends a boolean as one byte.
    @inlinable
    public mutating func append(_ value: Bool) {
        storage.append(value ? 1 : 0)
    }

    /// Appends a UTF-8 string, length first.
    @inlinable
    public mutating func append(_ value: String) {
        append(UInt64(value.utf8.count))
        storage.append(contentsOf: value.utf8)
    }

    /// Appends raw bytes, length first.
    @inlinable
    public mutating func append(bytes value: [UInt8]) {
        append(UInt64(value.count))
        storage.append(contentsOf: value)
    }

    /// Appends bytes that are already a canonical encoding (no length prefix).
    @inlinable
    public mutating func append(raw encoded: [UInt8]) {
        storage.append(contentsOf: encoded)
    }

    /// Appends one raw byte.
    @inlinable
    public mutating func append(byte: UInt8) {
        storage.append(byte)
    }

    /// Appends a nested value.
    public mutating func append(_ value: some CanonicalEncodable) {
        value.encode(to: &self)
    }

    /// Appends an optional: a presence byte, then the value.
    public mutating func append<Value: CanonicalEncodable>(_ value: Value?) {
        if let value {
            append(true)
            value.encode(to: &self)
        } else {
            append(false)
        }
    }

    /// Appends a sequence of values in the order given, count first.
    public mutating func append<S: Collection>(sequence values: S) where S.Element: CanonicalEncodable {
        append(UInt64(values.count))
        for value in values { value.encode(to: &self) }
    }

    /// Appends a set in ascending order, count first.
    public mutating func append<Element: CanonicalEncodable & Comparable>(set values: Set<Element>) {
        append(sequence: values.sorted())
    }

    /// Appends a dictionary in ascending key order, count first.
    public mutating func append<Key: CanonicalEncodable & Comparable, Value: CanonicalEncodable>(
        map values: [Key: Value]
    ) {
        append(UInt64(values.count))
        // Most maps in stored state hold zero or one entry (one replica's count): nothing to sort.
        if values.count == 1, let (key, value) = values.first {
            key.encode(to: &self)
            value.encode(to: &self)
            return
        }
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            key.encode(to: &self)
            value.encode(to: &self)
        }
    }
}

/// A value with one canonical byte form, used for digests and deterministic tie-breaks.
public protocol CanonicalEncodable {
    /// Writes the value's canonical form.
    func encode(to encoder: inout CanonicalEncoder)
}

extension CanonicalEncodable {
    /// The value's canonical bytes.
    public var canonicalBytes: [UInt8] {
        var encoder = CanonicalEncoder()
        encode(to: &encoder)
        return encoder.bytes
    }

    /// The SHA-256 digest of the value's canonical bytes: equal states have equal digests on every node.
    public var digest: StateDigest {
        StateDigest(of: canonicalBytes)
    }
}

extension UInt64: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.append(self) }
}

extension Int64: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.append(self) }
}

extension String: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.append(self) }
}

extension Bool: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.append(self) }
}

extension Optional: CanonicalEncodable where Wrapped: CanonicalEncodable {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.append(self) }
}
