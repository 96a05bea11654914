import Foundation

/// The sample catalog the demo publishes (data/catalog in the repository): where it is.
enum DemoCatalog {
    /// The catalog to publish: `given` when the user named one, else `data/catalog` in the
    /// working directory (`make demo` runs from the repository root), else `data/catalog` in a
    /// folder above the `aisle` executable (a build inside the repository, run from elsewhere).
    ///
    /// - Throws: ``CommandFailure`` saying where it looked and what to do.
    static func locate(_ given: String?, executable: URL) throws -> String {
        let files = FileManager.default
        if let given {
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: given, isDirectory: &isDirectory) else {
                throw CommandFailure(
                    "--catalog \(given) does not exist: give the catalog directory (products.csv, promotions.csv, stores.csv) or .json file"
                )
            }
            return given
        }
        let workingDirectory = files.currentDirectoryPath
        var candidates = [URL(fileURLWithPath: workingDirectory)]
        var folder = executable.deletingLastPathComponent()
        while folder.path != "/" && !folder.path.isEmpty {
            candidates.append(folder)
            folder = folder.deletingLastPathComponent()
        }
        for root in candidates {
            let catalog = root.appendingPathComponent("data/catalog")
            if files.fileExists(atPath: catalog.appendingPathComponent("products.csv").path) { return catalog.path }
        }
        throw CommandFailure(
            "the demo publishes the sample catalog data/catalog, which is neither in the working directory "
                + "(\(workingDirectory)) nor above the aisle executable (\(executable.path)): run `make demo` "
                + "from the repository root, or give the catalog with --catalog DIR")
    }
}
