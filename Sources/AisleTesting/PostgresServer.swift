import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real PostgreSQL server for a test, on 127.0.0.1 in a temporary directory: `initdb`, `pg_ctl
/// start`, a database named `aisle`; stopped and deleted when released. Needs the Debian package
/// `postgresql` (scripts/deps installs it). As root, the server runs as the `postgres` user, since
/// PostgreSQL refuses to run as root.
public final class PostgresServer: Sendable {
    public let port: Int
    public let directory: String
    private let binaries: String
    private let asPostgres: Bool

    /// The URL hubs connect with (trust authentication on loopback, no TLS).
    public var url: String { "postgres://postgres@127.0.0.1:\(port)/aisle?sslmode=disable" }

    /// Creates, starts and prepares the server (well under a second here).
    /// - Throws: ``PostgresUnavailable`` when PostgreSQL is not installed or does not start.
    public init() throws {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init)
        guard let version = versions.max() else {
            throw PostgresUnavailable(
                reason: "no PostgreSQL under \(root): run scripts/deps (apt-get install postgresql)")
        }
        binaries = "\(root)/\(version)/bin"
        asPostgres = getuid() == 0
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "aisle-pg-\(UUID().uuidString.prefix(8))"
            ).path
        port = try freeLoopbackPort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if asPostgres {
            try shell("chown -R postgres:postgres '\(directory)'", asPostgres: false)
        }
        try shell("'\(binaries)/initdb' -D '\(directory)/data' -U postgres --auth=trust -E UTF8 --no-sync")
        do {
            try shell(
                "'\(binaries)/pg_ctl' -D '\(directory)/data' -l '\(directory)/server.log' -w "
                    + "-o \"-c listen_addresses=127.0.0.1 -p \(port) -k '\(directory)' -c fsync=off\" start")
        } catch {
            throw PostgresUnavailable(reason: "the server did not start: \(error)\n\(log)")
        }
        try shell("'\(binaries)/createdb' -h 127.0.0.1 -p \(port) -U postgres aisle")
    }

    /// Runs `sql` in the `aisle` database with psql (stopping at the first error).
    public func execute(_ sql: String) throws {
        let quoted = sql.replacingOccurrences(of: "'", with: "'\\''")
        try shell("'\(binaries)/psql' -v ON_ERROR_STOP=1 -h 127.0.0.1 -p \(port) -U postgres -d aisle -c '\(quoted)'")
    }

    /// The server's log so far (for a failing test's message).
    public var log: String {
        (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
    }

    /// Stops the server (fast shutdown) and deletes its directory.
    public func stop() {
        _ = try? shell("'\(binaries)/pg_ctl' -D '\(directory)/data' -m fast -w stop")
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    /// Runs `command` with /bin/sh, as the `postgres` user when this process is root.
    private func shell(_ command: String) throws {
        try shell(command, asPostgres: asPostgres)
    }

    /// The command's output goes to the server log: no pipe to this process, which the server
    /// would otherwise inherit and hold open.
    private func shell(_ command: String, asPostgres: Bool) throws {
        let logged = "(\(command)) >>'\(directory)/commands.log' 2>&1"
        let arguments =
            asPostgres
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", "/bin/sh", "-c", logged] : ["/bin/sh", "-c", logged]
        // posix_spawn and waitpid, not Foundation's Process: that one notices the exit through a
        // socket the child inherits, which the daemonized server would hold open forever.
        var pid = pid_t()
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let spawned = posix_spawn(&pid, arguments[0], nil, nil, argv, environ)
        guard spawned == 0 else { throw PostgresUnavailable(reason: "cannot run \(arguments[0]): \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitStatus = (status >> 8) & 0xff
        guard status & 0x7f == 0, exitStatus == 0 else {
            let output = (try? String(contentsOfFile: directory + "/commands.log", encoding: .utf8)) ?? ""
            throw PostgresUnavailable(reason: "`\(command)` failed (status \(status)): \(output)")
        }
    }
}

/// Why a test could not have its PostgreSQL server.
public struct PostgresUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "PostgreSQL for the test: \(reason)" }
}

/// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick for port 0).
public func freeLoopbackPort() throws -> Int {
    let (descriptor, port) = try LoopbackSocket.bound()
    close(descriptor)
    return port
}
