import AisleHub
import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where a command finds the hub's HTTP API: `--hub` (its sync URL), `--hub-http`, `--timeout`.
struct HubHTTPOptions: ParsableArguments {
    @Option(name: .long, help: "The hub's sync URL; its HTTP API is on the same host and port.")
    var hub: String = "ws://127.0.0.1:8470/v1/sync"

    @Option(name: .long, help: "The hub's HTTP API, when it is not at the sync URL's host and port.")
    var hubHTTP: String?

    @Option(name: .long, parsing: .unconditional, help: "Give up after this many seconds.")
    var timeout: Int = 10

    func validate() throws {
        try HubURL.validate(hub, timeout: timeout)
        if let hubHTTP { _ = try HubHTTPClient.httpBase(hubHTTP, failure: ValidationError.init) }
    }

    func client() throws -> HubHTTPClient {
        try HubHTTPClient(sync: hub, http: hubHTTP, timeout: .seconds(timeout))
    }
}

/// Asks a hub's HTTP API (docs/hub-api.yaml): availability, as the shopping app would, and the
/// status view, as an operator would; every failure becomes a sentence a person can act on.
struct HubHTTPClient {
    /// The hub's HTTP base, such as `http://127.0.0.1:8470`.
    let base: URL
    /// How long to wait for the answer.
    let timeout: Duration

    /// The client for the hub whose sync URL is `sync` (`ws://HOST:PORT/v1/sync`): its HTTP API
    /// is on the same host and port (`http://HOST:PORT`; `https` for `wss`), unless `http` names
    /// another base.
    ///
    /// - Throws: ``CommandFailure`` when the URL given is not a hub's URL.
    init(sync: String, http: String?, timeout: Duration) throws {
        self.timeout = timeout
        base = try http.map { try Self.httpBase($0, failure: CommandFailure.init) } ?? HubURL.parse(sync).http
    }

    /// The HTTP base `text` names (`--hub-http`), or the error `failure` makes of why not.
    static func httpBase(_ text: String, failure: (String) -> any Error) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host?.isEmpty == false
        else { throw failure("--hub-http '\(text)' is not an HTTP URL: write it like http://127.0.0.1:8470") }
        return url
    }

    /// The hub's answer to `query`.
    ///
    /// - Throws: ``CommandFailure`` with the hub's refusal (an unknown SKU, a bad location) or why
    ///   the hub could not be asked.
    func ask(_ query: AvailabilityQuery) async throws -> AvailabilityView {
        let (status, data) = try await get(query.pathAndQuery)
        let decoder = JSONDecoder()
        if status == 200, let view = try? decoder.decode(AvailabilityView.self, from: data) {
            return view
        }
        if let refusal = try? decoder.decode(AvailabilityErrorView.self, from: data) {
            throw CommandFailure(refusal.error.message)
        }
        throw unreadable(status, "availability questions")
    }

    /// The hub's status view: every device, its last contact and lag, worst first.
    /// The hub's status view: every device, or the worst `limit`.
    func status(limit: Int? = nil) async throws -> HubStatus {
        let (status, data) = try await get("/v1/status" + (limit.map { "?limit=\($0)" } ?? ""))
        if status == 200, let view = try? JSONDecoder().decode(HubStatus.self, from: data) { return view }
        throw unreadable(status, "status questions")
    }

    /// GETs `pathAndQuery` from the hub: the status and body.
    private func get(_ pathAndQuery: String) async throws -> (Int, Data) {
        var address = base.absoluteString
        if address.hasSuffix("/") { address.removeLast() }
        address += pathAndQuery
        guard let url = URL(string: address) else { throw CommandFailure("cannot ask \(address): not a URL") }
        var request = URLRequest(url: url)
        request.timeoutInterval = Double(timeout.components.seconds)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let data: Data
        let response: URLResponse
        do { (data, response) = try await URLSession.shared.data(for: request) } catch {
            throw CommandFailure(
                "could not reach the hub at \(base.absoluteString) (\(error.localizedDescription)): "
                    + "is it running, and is --hub (or --hub-http) its address?")
        }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    private func unreadable(_ status: Int, _ what: String) -> CommandFailure {
        if status == 404 {
            return CommandFailure(
                "the hub at \(base.absoluteString) does not answer \(what) (HTTP 404): "
                    + "it runs an older aisle, or --hub-http names something else")
        }
        return CommandFailure(
            "the hub at \(base.absoluteString) gave an answer this aisle cannot read (HTTP \(status)): "
                + "try again, or check the hub's log")
    }
}
