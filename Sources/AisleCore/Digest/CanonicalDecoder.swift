/// Reads values written by ``CanonicalEncoder``, refusing anything malformed.
///
/// Every read checks bounds, counts are checked against the bytes left before anything is
/// allocated, strings must be valid UTF-8, and identifiers are validated, so hostile or corrupt
/// input ends in a ``CanonicalDecodingError`` naming the offset, never in a crash or a huge allocation.
public struct CanonicalDecoder: Sendable {
    private let bytes: [UInt8]
    /// How many bytes have been read.
    public private(set) var offset = 0
    /// The name an empty identifier stands for (``CanonicalEncoder/impliedName``); with none, an
    /// empty identifier is refused as always.
    public var impliedName: String?

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset == bytes.count }

    /// The next byte, without reading it; nil at the end.
    public func peekByte() -> UInt8? {
        offset < bytes.count ? bytes[offset] : nil
    }

    /// Reads an unsigned LEB128 varint (at most 10 bytes, no overflow).
    public mutating func readUInt64() throws(CanonicalDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw failure("truncated integer") }
            let byte = bytes[offset]
            offset += 1
            if shift == 63, byte > 1 { throw failure("integer overflows 64 bits") }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { throw failure("integer longer than 10 bytes") }
        }
    }

    /// Reads a zigzag-encoded signed integer.
    public mutating func readInt64() throws(CanonicalDecodingError) -> Int64 {
        let raw = try readUInt64()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads one raw byte.
    public mutating func readByte() throws(CanonicalDecodingError) -> UInt8 {
        guard offset < bytes.count else { throw failure("truncated byte") }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a boolean byte (0 or 1).
    public mutating func readBool() throws(CanonicalDecodingError) -> Bool {
        guard offset < bytes.count else { throw failure("truncated boolean") }
        let byte = bytes[offset]
        offset += 1
        guard byte <= 1 else { throw failure("boolean byte \(byte) is neither 0 nor 1") }
        return byte == 1
    }

    /// Reads length-prefixed raw bytes.
    public mutating func readBytes() throws(CanonicalDecodingError) -> [UInt8] {
        let count = try readCount(elementSize: 1)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a length-prefixed UTF-8 string.
    public mutating func readString() throws(CanonicalDecodingError) -> String {
        let start = offset
        let count = try readCount(elementSize: 1)
        let text = bytes.withUnsafeBufferPointer { all -> String? in
            let utf8 = UnsafeBufferPointer(rebasing: all[offset..<offset + count])
            // ASCII (every id) is valid UTF-8 as it stands: decoded without the generic validation,
            // whose metadata lookups cost a remote delta's decoding a tenth of its time.
            if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
            return String(validating: utf8, as: UTF8.self)
        }
        guard let text else {
            offset = start
            throw failure("string is not valid UTF-8")
        }
        offset += count
        return text
    }

    /// Reads a collection count, refusing one that cannot fit in the bytes left
    /// (each element takes at least `elementSize` bytes).
    public mutating func readCount(elementSize: Int = 1) throws(CanonicalDecodingError) -> Int {
        let count = try readUInt64()
        guard count <= UInt64(bytes.count - offset) / UInt64(max(1, elementSize)) else {
            throw failure("count \(count) exceeds the \(bytes.count - offset) bytes left")
        }
        return Int(count)
    }

    /// Reads a nested value.
    public mutating func decode<Value: CanonicalDecodable>(_: Value.Type = Value.self) throws(CanonicalDecodingError)
        -> Value
    {
        try Value(from: &self)
    }

    /// Reads an optional written by ``CanonicalEncoder/append(_:)-optional``.
    public mutating func decodeOptional<Value: CanonicalDecodable>(_: Value.Type = Value.self)
        throws(CanonicalDecodingError) -> Value?
    {
        try readBool() ? try Value(from: &self) : nil
    }

    /// Reads a sequence written by ``CanonicalEncoder/append(sequence:)``.
    public mutating func decodeArray<Element: CanonicalDecodable>(_: Element.Type = Element.self)
        throws(CanonicalDecodingError) -> [Element]
    {
        let count = try readCount()
        var result: [Element] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try Element(from: &self)) }
        return result
    }

    /// Reads a dictionary written by ``CanonicalEncoder/append(map:)``, refusing duplicate keys.
    public mutating func decodeMap<Key: CanonicalDecodable & Hashable, Value: CanonicalDecodable>(
        _: Key.Type = Key.self, _: Value.Type = Value.self
    ) throws(CanonicalDecodingError) -> [Key: Value] {
        let count = try readCount(elementSize: 2)
        // Most maps of a delta are empty (a counter nobody subtracted from): no storage for them.
        guard count > 0 else { return [:] }
        var result = [Key: Value](minimumCapacity: count)
        for _ in 0..<count {
            let key = try Key(from: &self)
            guard result.updateValue(try Value(from: &self), forKey: key) == nil else {
                throw failure("duplicate key in map")
            }
        }
        return result
    }

    /// Refuses trailing bytes after a complete value.
    public func finish() throws(CanonicalDecodingError) {
        guard isAtEnd else { throw failure("\(bytes.count - offset) unexpected trailing bytes") }
    }

    /// An error at the current offset.
    public func failure(_ reason: String) -> CanonicalDecodingError {
        CanonicalDecodingError(offset: offset, reason: reason)
    }
}

/// A value that can be read back from its canonical bytes.
public protocol CanonicalDecodable {
    init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError)
}

extension CanonicalDecodable {
    /// Decodes a complete value from `bytes`, refusing trailing bytes.
    public init(canonicalBytes bytes: [UInt8]) throws(CanonicalDecodingError) {
        var decoder = CanonicalDecoder(bytes)
        self = try Self(from: &decoder)
        try decoder.finish()
    }
}

/// Bytes that are not a valid canonical encoding.
public struct CanonicalDecodingError: Error, Equatable, CustomStringConvertible {
    /// Where in the input the problem was found.
    public let offset: Int
    public let reason: String

    public var description: String { "malformed encoding at byte \(offset): \(reason)" }
}

extension UInt64: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self = try decoder.readUInt64()
    }
}

extension Int64: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self = try decoder.readInt64()
    }
}

extension String: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self = try decoder.readString()
    }
}

extension Bool: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self = try decoder.readBool()
    }
}

extension Optional: CanonicalDecodable where Wrapped: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        self = try decoder.decodeOptional(Wrapped.self)
    }
}

extension Identifier: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let start = decoder.offset
        var text = try decoder.readString()
        if text.isEmpty, let implied = decoder.impliedName { text = implied }
        do {
            try self.init(text)
        } catch {
            throw CanonicalDecodingError(offset: start, reason: error.description)
        }
    }
}

extension StateDigest: CanonicalDecodable {
    public init(from decoder: inout CanonicalDecoder) throws(CanonicalDecodingError) {
        let bytes = try decoder.readBytes()
        guard bytes.count == 32 else { throw decoder.failure("digest of \(bytes.count) bytes, expected 32") }
        self.init(digestBytes: bytes)
    }
}
