import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The baseline of the latency figures: a raw TCP round trip over loopback (64 bytes out, the
/// same 64 back from an echo thread), with Nagle off on both ends.
final class RawTCPEcho: @unchecked Sendable {
    private let client: Int32
    private var buffer = [UInt8](repeating: 7, count: 64)

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                guard bind(listener, socketAddress, length) == 0, listen(listener, 1) == 0,
                    getsockname(listener, socketAddress, &length) == 0
                else { throw POSIXError(.EADDRNOTAVAIL) }
            }
        }
        let port = address.sin_port
        Thread.detachNewThread {
            let peer = accept(listener, nil, nil)
            Self.noDelay(peer)
            var echo = [UInt8](repeating: 0, count: 64)
            while Self.readFully(peer, &echo), write(peer, echo, 64) == 64 {}
            close(peer)
            close(listener)
        }
        client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var server = sockaddr_in()
        server.sin_family = sa_family_t(AF_INET)
        server.sin_addr.s_addr = inet_addr("127.0.0.1")
        server.sin_port = port
        let connected = withUnsafePointer(to: &server) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        Self.noDelay(client)
    }

    deinit { close(client) }

    /// One round trip.
    func roundTrip() {
        precondition(write(client, buffer, 64) == 64 && Self.readFully(client, &buffer), "loopback echo failed")
    }

    private static func readFully(_ descriptor: Int32, _ buffer: inout [UInt8]) -> Bool {
        var received = 0
        while received < buffer.count {
            let count = buffer.withUnsafeMutableBytes {
                read(descriptor, $0.baseAddress! + received, $0.count - received)
            }
            if count <= 0 { return false }
            received += count
        }
        return true
    }

    private static func noDelay(_ descriptor: Int32) {
        var on: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }
}
