import Foundation

/// Files written together, or not at all: each is written in full to a temporary file beside its
/// place, and only once every one is written are they moved into place. A failure while writing
/// (a full disk, a directory that is not writable, a file that may not be overwritten) leaves
/// every file as it was.
///
/// ```swift
/// var files = StagedFiles()
/// defer { files.discard() }
/// try files.stage(certificate, at: path, replacing: false)
/// try files.stage(record, at: registry, replacing: true)
/// try files.commit()
/// ```
struct StagedFiles {
    private struct Staged {
        let temporary: String
        let path: String
        let replacing: Bool
    }

    private var staged: [Staged] = []

    /// Writes `data` to a temporary file beside `path`, to be moved there by ``commit()``. Unless
    /// `replacing`, a file already at `path` is refused now, before anything is moved.
    mutating func stage(_ data: Data, at path: String, replacing: Bool, permissions: Int? = nil) throws {
        if !replacing, FileManager.default.fileExists(atPath: path) { throw Self.exists(path) }
        let temporary = path + ".tmp-\(UUID().uuidString)"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: data, attributes: permissions.map { [.posixPermissions: $0] })
        else { throw CommandFailure("cannot write \(temporary): check the directory exists and is writable") }
        staged.append(Staged(temporary: temporary, path: path, replacing: replacing))
    }

    /// Moves the staged files into place: first those that may not replace a file, then the
    /// replacements, each in the order staged. A new file is linked into place, so one that appeared
    /// at its path since it was staged is refused rather than overwritten; the new files this call
    /// placed are then removed again and nothing is replaced. A replacement is a rename within its
    /// directory: a reader sees the old or the new file, never half of one.
    mutating func commit() throws {
        var created: [String] = []
        for file in staged where !file.replacing {
            guard link(file.temporary, file.path) == 0 else {
                let exists = errno == EEXIST
                for path in created { unlink(path) }
                throw exists ? Self.exists(file.path) : CommandFailure("cannot write \(file.path)")
            }
            unlink(file.temporary)
            created.append(file.path)
        }
        for file in staged where file.replacing {
            guard rename(file.temporary, file.path) == 0 else { throw CommandFailure("cannot replace \(file.path)") }
        }
        staged = []
    }

    /// Removes the temporary files of whatever was staged and not committed.
    mutating func discard() {
        for file in staged { unlink(file.temporary) }
        staged = []
    }

    private static func exists(_ path: String) -> CommandFailure {
        CommandFailure("\(path) already exists: refusing to overwrite key material; move it aside first")
    }
}
