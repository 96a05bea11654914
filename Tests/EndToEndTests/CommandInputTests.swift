import AisleCore
import ArgumentParser
import Foundation
import Testing

@testable import aisle

/// What `aisle` says about a mistyped flag, parsed in-process as the binary parses it.
@Suite("aisle refuses bad flags with what it accepts")
struct CommandInputTests {
    /// The message the binary prints for `arguments`, or nil when they parse and validate.
    static func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try AisleCommand.parseAsRoot(arguments)
            return nil
        } catch {
            return AisleCommand.message(for: error)
        }
    }

    @Test(
        "a port out of range is refused with the value and the range, not wrapped modulo 65536; a negative one too",
        arguments: [
            (["hub", "serve", "--config", "hub/hub.json", "--port", "70000"], "70000"),
            (["edge", "serve", "--config", "edge/edge.json", "--port", "65536"], "65536"),
            (["hub", "serve", "--config", "hub/hub.json", "--port", "-1"], "-1"),
            (["edge", "serve", "--config", "edge/edge.json", "--port", "-1"], "-1"),
        ])
    func portOutOfRange(arguments: [String], value: String) throws {
        let message = try #require(Self.refusal(arguments))
        #expect(
            message.contains("--port is \(value): give a TCP port from 0 to 65535 (0: any free port)"), "\(message)")
    }

    @Test("ports 0 and 65535 are accepted")
    func portsInRange() {
        #expect(Self.refusal(["hub", "serve", "--config", "hub/hub.json", "--port", "0"]) == nil)
        #expect(Self.refusal(["edge", "serve", "--config", "edge/edge.json", "--port", "65535"]) == nil)
    }

    @Test(
        "an unknown log level is refused, listing the levels",
        arguments: [
            ["hub", "serve", "--config", "h"], ["edge", "serve", "--config", "e"],
            ["loadgen", "--dir", "hq", "--hub", "ws://h:1"],
        ])
    func unknownLogLevel(arguments: [String]) throws {
        let message = try #require(Self.refusal(arguments + ["--log-level", "loud"]))
        #expect(message.contains("loud"), "\(message)")
        #expect(message.contains("- trace\n  - debug\n  - info"), "lists the levels: \(message)")
        #expect(Self.refusal(arguments + ["--log-level", "debug"]) == nil)
    }

    @Test(
        "a hub URL that names no hub is refused before anything starts, by every command that takes one",
        arguments: [
            ["mobile", "sync", "--dir", "phone", "--hub", "ws://"],
            ["mobile", "reserve", "--dir", "phone", "oat-milk", "--store", "berlin", "--hub", "not a url"],
            ["mobile", "find", "oat-milk", "--near", "48.8,2.3", "--hub", "ftp://hub:8470"],
            ["admin", "status", "--hub", "ws://"],
            ["edge", "serve", "--config", "edge/edge.json", "--hub", "ws://"],
            ["loadgen", "--dir", "hq", "--hub", "http://hub:99999"],
            // Checked before anything is published or signed, not after.
            ["admin", "catalog", "import", "--dir", "hq", "--from", "data/catalog", "--hub", "ws://"],
            ["admin", "revoke", "--dir", "hq", "--certificate", "till/device.cert", "--hub", "not a url"],
            ["admin", "renew", "--dir", "hq", "--hub", "ftp://hub:8470"],
        ])
    func badHubURL(arguments: [String]) throws {
        let message = try #require(Self.refusal(arguments))
        #expect(message.contains("is not a hub URL"), "\(message)")
        #expect(message.contains("ws://127.0.0.1:8470/v1/sync"), "says what is accepted: \(message)")
    }

    @Test("a hub URL is a sync URL or the HTTP base, and names the other")
    func hubURLForms() throws {
        let plain = try HubURL("http://127.0.0.1:8470")
        #expect(plain.sync == "ws://127.0.0.1:8470/v1/sync")
        #expect(plain.http.absoluteString == "http://127.0.0.1:8470")
        let secure = try HubURL("wss://hub.example.com/v1/sync")
        #expect(secure.sync == "wss://hub.example.com/v1/sync")
        #expect(secure.http.absoluteString == "https://hub.example.com")
    }

    @Test("--hold beyond 7 days is refused instead of shortened; 7d is accepted")
    func holdBeyondSevenDays() throws {
        let reserve = ["mobile", "reserve", "--dir", "phone", "oat-milk", "--store", "berlin", "--hold"]
        let message = try #require(Self.refusal(reserve + ["30d"]))
        #expect(message.contains("--hold is '30d': the hub holds units at most 7 days"), "\(message)")
        #expect(Self.refusal(reserve + ["169h"]) != nil)
        #expect(Self.refusal(reserve + ["7d"]) == nil)
        #expect(Self.refusal(reserve + ["168h"]) == nil)
    }

    @Test(
        "a negative value is refused for what it is, not as a missing value",
        arguments: [
            (["mobile", "reserve", "--dir", "p", "oat-milk", "--store", "berlin", "--hold", "-5m"], "got '-5m'"),
            (["admin", "status", "--timeout", "-1"], "--timeout is -1"),
            (["mobile", "sync", "--dir", "p", "--timeout", "-1"], "--timeout is -1"),
        ])
    func negativeValue(arguments: [String], expected: String) throws {
        let message = try #require(Self.refusal(arguments))
        #expect(message.contains(expected), "\(message)")
        #expect(!message.contains("Missing value"), "\(message)")
    }

    @Test("admin status --timeout 0 is refused")
    func zeroTimeout() throws {
        let message = try #require(Self.refusal(["admin", "status", "--timeout", "0"]))
        #expect(message.contains("--timeout is 0: give the seconds to wait, at least 1"), "\(message)")
    }

    @Test(
        "a value checked before running is refused with the subcommand's usage, not the top-level one",
        arguments: [
            (
                ["edge", "init", "--dir", "e", "--tenant", "acme", "--device", "t", "--store", "b", "--role", "hub"],
                "--role must be pos or kiosk"
            ),
            (["mobile", "cart", "add", "--dir", "p", "milk", "0"], "the quantity must be at least 1"),
        ])
    func usageOfTheSubcommand(arguments: [String], expected: String) throws {
        var refused: (any Error)?
        do { _ = try AisleCommand.parseAsRoot(arguments) } catch { refused = error }
        let error = try #require(refused)
        let full = AisleCommand.fullMessage(for: error)
        #expect(full.contains(expected), "\(full)")
        #expect(!full.contains("aisle <subcommand>"), "\(full)")
        #expect(full.contains("Usage: aisle \(arguments[0]) \(arguments[1])"), "\(full)")
    }

    @Test("a cart line without a price says whether the phone lacks the catalog or the catalog lacks the SKU")
    func unpricedLine() throws {
        var catalog = Catalog()
        let stamp = HLCTimestamp(physical: 1, counter: 0, replica: "hq")
        _ = catalog.setProduct("milk", Product(name: "Milk"), at: stamp)
        _ = try catalog.setPrice("milk", 129, at: stamp)
        #expect(unpriced("milk", in: Catalog()) == "(no price yet: sync the catalog)")
        #expect(unpriced("no-such-sku", in: catalog) == "(the catalog has no SKU no-such-sku: check its spelling)")
    }

    @Test("a database path that is a directory or lies in a missing one is refused, naming it, by the replica tools")
    func badDatabasePaths() throws {
        let directory = FileManager.default.temporaryDirectory.path
        for arguments in [
            ["admin", "inspect", "--db", directory], ["admin", "backup", "--db", directory, "--to", "copy.db"],
            ["admin", "restore", "--from", "backup.db", "--db", directory],
        ] {
            let message = try #require(Self.refusal(arguments))
            #expect(message.contains("the database \(directory) is a directory"), "\(message)")
        }
        let missing = try #require(Self.refusal(["admin", "inspect", "--db", "/no/such/dir/edge.db"]))
        #expect(missing.contains("the directory /no/such/dir does not exist"), "\(missing)")
    }

    @Test("admin status --limit -1 is refused for its value, not as a missing one")
    func negativeLimit() throws {
        let message = try #require(Self.refusal(["admin", "status", "--limit", "-1"]))
        #expect(message.contains("--limit must be at least 1"), "\(message)")
    }
}
