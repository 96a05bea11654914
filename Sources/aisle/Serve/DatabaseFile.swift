import Foundation

/// A replica database's path as a command or configuration gives it.
enum DatabaseFile {
    /// Refuses a database path SQLite could not open, naming where it was given (`setting`, such
    /// as `--db`), the path and the cause.
    static func check(_ path: String, given setting: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else {
                throw CommandFailure("\(setting): the database \(path) is a directory: give the database file's path")
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandFailure(
                "\(setting): cannot create the database \(path): the directory \(folder) does not exist")
        }
    }
}
