import Foundation

/// Reads a JSON configuration file (hub.json, edge.json), explaining what is wrong with it.
enum ConfigFile {
    /// The configuration in the file at `path`, usually called `name` (hub.json, edge.json).
    ///
    /// - Throws: ``CommandFailure`` when the file is missing or a directory, is not a
    ///   configuration of `type`'s shape, or holds a key `type` does not know: a typo in a
    ///   configuration must not be silently ignored.
    static func load<Value: Decodable>(_ type: Value.Type, from path: String, name: String) throws -> Value {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandFailure(
                "\(path) does not exist: `aisle hub init` and `aisle edge init` write one beside the identity, "
                    + "or copy the example from the run kit (hub/, edge/) and edit it")
        }
        guard !isDirectory.boolValue else {
            throw CommandFailure("\(path) is a directory: give the configuration file in it, such as \(path)/\(name)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("\(path) cannot be read: check its permissions")
        }
        let value: Value
        do { value = try JSONDecoder().decode(type, from: data) } catch {
            throw CommandFailure("\(path) is not a valid configuration: \(error)")
        }
        if let json = try? JSONSerialization.jsonObject(with: data), let (key, known) = unknownKey(in: json, of: value)
        {
            throw CommandFailure(
                "\(path) has the key \"\(key)\", which the configuration does not know (a typo?): "
                    + "the keys there are \(known.joined(separator: ", "))")
        }
        return value
    }

    /// `path` as written in the configuration file at `file`: relative paths are relative to it.
    static func resolve(_ path: String, against file: String) -> String {
        path.hasPrefix("/")
            ? path : ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
    }

    /// The first key of the JSON object `json` that `value` (what it decoded to) has no stored
    /// property for, as a dotted path, with the keys it has there; nil when every key is known.
    ///
    /// The configuration types decode with synthesized `Codable`, so their keys are their stored
    /// properties' names, which `Mirror` lists, optional ones too.
    static func unknownKey(in json: Any, of value: Any, at prefix: String = "") -> (String, [String])? {
        guard let object = json as? [String: Any] else { return nil }
        let properties = Dictionary(
            Mirror(reflecting: value).children.compactMap { child in child.label.map { ($0, child.value) } },
            uniquingKeysWith: { first, _ in first })
        for key in object.keys.sorted() {
            guard let property = properties[key] else { return (prefix + key, properties.keys.sorted()) }
            if let nested = object[key], let inner = unwrapped(property),
                let unknown = unknownKey(in: nested, of: inner, at: prefix + key + ".")
            {
                return unknown
            }
        }
        return nil
    }

    /// The value an optional holds, or the value itself; nil for an empty optional.
    private static func unwrapped(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }
}

extension ConfigFile {
    /// Writes `configuration` as `name` in the device directory `dir`, unless a file is there:
    /// `aisle hub init` and `aisle edge init` leave a configuration that works as it is.
    static func writeDefault(_ configuration: some Encodable, named name: String, in dir: String) throws {
        let path = (dir as NSString).appendingPathComponent(name)
        guard !FileManager.default.fileExists(atPath: path) else {
            print("kept \(path): a configuration is already there")
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(configuration)
        data.append(contentsOf: "\n".utf8)
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw CommandFailure("cannot write \(path): check the directory is writable")
        }
        print("wrote \(path) (edit it to change addresses or paths)")
    }
}
