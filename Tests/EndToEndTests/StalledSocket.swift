import AisleTesting
import Foundation
import Glibc

/// A raw TCP client that sends what it is given (or nothing) and then nothing more, and reads
/// until the server closes the connection.
enum StalledSocket {
    /// Connects, upgrades to the hub's WebSocket, and reads until the hub closes the connection.
    /// - Returns: the hub's upgrade response head.
    /// - Throws: when the connection is not closed `within` the given time.
    static func upgradeAndWaitForClose(port: Int, within limit: Duration) throws -> String {
        let request =
            "GET /v1/sync HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        return try sendAndWaitForClose(port: port, sending: request, within: limit).head
    }

    /// Connects, sends `bytes`, and reads until the server closes the connection. Blocks its
    /// thread (see ``closed(port:sending:within:)``).
    /// - Returns: the head of what the server sent (empty if nothing), and how long after
    ///   connecting it closed.
    /// - Throws: when the connection is not closed `within` the given time.
    static func sendAndWaitForClose(port: Int, sending bytes: String, within limit: Duration) throws -> (
        head: String, waited: Duration
    ) {
        let started = ContinuousClock.now
        let socket = try LoopbackSocket.connected(to: port)
        defer { close(socket) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if !bytes.isEmpty {
            _ = bytes.utf8CString.withUnsafeBufferPointer { send(socket, $0.baseAddress, $0.count - 1, 0) }
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let deadline = started + limit
        while ContinuousClock.now < deadline {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 || (count < 0 && errno == ECONNRESET) {
                let head = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
                return (head, ContinuousClock.now - started)
            }
            if count > 0 { received += buffer[..<count] }
            // count < 0: the receive timeout; read again.
        }
        throw Failure("still open after \(limit); received \(received.count) bytes")
    }

    /// ``sendAndWaitForClose(port:sending:within:)`` on a thread of its own: the client blocks
    /// reading, which no cooperative thread should.
    static func closed(port: Int, sending bytes: String = "", within limit: Duration) async throws -> (
        head: String, waited: Duration
    ) {
        try await withCheckedThrowingContinuation { reply in
            DispatchQueue.global().async {
                reply.resume(with: Result { try sendAndWaitForClose(port: port, sending: bytes, within: limit) })
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
