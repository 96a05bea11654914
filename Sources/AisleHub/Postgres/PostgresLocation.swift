import Foundation
import PostgresNIO

/// Where the hubs' shared database is: a `postgres://user:password@host:port/database` URL
/// (`?sslmode=disable` or `require`; the default uses TLS when the server offers it).
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let username: String
    let password: String?
    public let database: String
    let tls: TLSMode

    enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    /// Parses `url`.
    /// - Throws: ``PostgresLocationError`` naming what is wrong with it.
    public init(url: String) throws(PostgresLocationError) {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? "") else {
            throw .notPostgres(url)
        }
        guard let host = parts.host, !host.isEmpty else { throw .missing("a host", url) }
        guard let username = parts.user, !username.isEmpty else { throw .missing("a user name", url) }
        let database = String(parts.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw .missing("a database name after the last /", url) }
        let mode = parts.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        guard let tls = TLSMode(rawValue: mode) else {
            throw .unsupported("sslmode=\(mode) (use disable, prefer or require)", url)
        }
        self.host = host
        self.port = parts.port ?? 5432
        self.username = username
        self.password = parts.password
        self.database = database
        self.tls = tls
    }

    /// The URL without its password, for logs.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// The client configuration for PostgresNIO.
    var configuration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch self.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        return .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}

/// Why a storage URL cannot be used.
public enum PostgresLocationError: Error, CustomStringConvertible {
    case notPostgres(String)
    case missing(String, String)
    case unsupported(String, String)

    public var description: String {
        switch self {
        case .notPostgres(let url):
            "\(url) is not a PostgreSQL URL: write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        case .missing(let what, let url): "\(url) lacks \(what): write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        case .unsupported(let what, let url): "\(url): \(what) is not supported"
        }
    }
}
