/// Encodes a scope's objects, one at a time, as a run of ``ObjectDelta`` encodings of bounded
/// size: the parts of a snapshot, built while the objects are read so that a million of them are
/// never all held at once.
///
/// Each part is an ordinary delta (its objects in key order), decoded by
/// ``ObjectDelta/init(encoded:)``; a part holds at least one object, and more only while its
/// objects' bytes stay within `partBytes` (one larger object makes a part of its own).
public struct ObjectDeltaParts: Sendable {
    public let scope: Scope
    public let partBytes: Int
    /// The running part's objects, each encoded (kind, id, value) as a delta lists it.
    private var objects: [(kind: ObjectKind, id: String, bytes: [UInt8])] = []
    private var size = 0
    /// Whether a part was handed out yet.
    private var emitted = false

    public init(scope: Scope, partBytes: Int) {
        self.scope = scope
        self.partBytes = partBytes
    }

    /// Adds the object at `key` (in ``scope``; each key once).
    /// - Returns: the finished part, when the object did not fit in the running one.
    public mutating func append(_ value: ObjectValue, at key: ObjectKey) -> [UInt8]? {
        precondition(key.scope == scope, "\(key) is not in \(scope)")
        var encoder = CanonicalEncoder()
        ObjectDelta.appendObject(value, at: key, to: &encoder)
        let bytes = encoder.bytes
        let finished = size + bytes.count > partBytes && !objects.isEmpty ? takePart() : nil
        objects.append((key.kind, key.id, bytes))
        size += bytes.count
        return finished
    }

    /// The last part: what is left, or an empty delta when the scope held no object at all (a
    /// snapshot always has a part); nil when nothing is left after earlier parts.
    public mutating func finish() -> [UInt8]? {
        objects.isEmpty && emitted ? nil : takePart()
    }

    private mutating func takePart() -> [UInt8] {
        objects.sort { ($0.kind, $0.id) < ($1.kind, $1.id) }
        var encoder = CanonicalEncoder(reservingCapacity: size + 64)
        ObjectDelta.appendHeader(of: scope, count: objects.count, to: &encoder)
        for object in objects { encoder.append(raw: object.bytes) }
        objects.removeAll(keepingCapacity: true)
        size = 0
        emitted = true
        return encoder.bytes
    }
}
