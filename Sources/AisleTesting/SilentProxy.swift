import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on 127.0.0.1 in front of a server on this machine that can go silent: from then on
/// it reads whatever either side sends, forwards nothing and closes nothing, as a WAN that drops
/// packets does, or a hung process whose kernel still accepts connections. For tests of a peer
/// that stops answering without closing. Each connection is served by a thread of its own
/// (blocking sockets, polled every 100 ms), never by a cooperative one.
public final class SilentProxy: Sendable {
    /// The port the proxy listens on.
    public let port: Int
    private let listener: Int32
    private let upstreamPort: Int
    private let silent: Atomic<Bool>
    private let stopped = Atomic<Bool>(false)
    private let acceptedCount = Atomic<Int>(0)

    /// - Parameter silent: silent from the start: connections are accepted and never answered
    ///   (nor connected upstream).
    public init(upstreamPort: Int, silent: Bool = false) throws {
        self.upstreamPort = upstreamPort
        self.silent = Atomic(silent)
        let (fd, port) = try LoopbackSocket.bound()
        guard Glibc.listen(fd, 64) == 0 else {
            close(fd)
            throw LoopbackSocketError("listen: errno \(errno)")
        }
        listener = fd
        self.port = port
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// From now on nothing passes in either direction, on open connections and new ones alike.
    public func silence() {
        silent.store(true, ordering: .relaxed)
    }

    /// Connections accepted so far.
    public var accepted: Int { acceptedCount.load(ordering: .relaxed) }

    /// Stops accepting; each connection's thread closes its sockets within 100 ms.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        close(listener)
    }

    deinit {
        stop()
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            guard Self.readable([listener]).first == true else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            acceptedCount.add(1, ordering: .relaxed)
            let upstream =
                silent.load(ordering: .relaxed) ? -1 : (try? LoopbackSocket.connected(to: upstreamPort)) ?? -1
            Thread.detachNewThread { [self] in pump(client, upstream) }
        }
    }

    /// Forwards bytes between the two sockets until one side closes (then closes both), or, once
    /// silent, reads and drops them, and never closes a side the other has not closed.
    private func pump(_ client: Int32, _ upstream: Int32) {
        var open = [client, upstream].filter { $0 >= 0 }
        defer { for fd in open { close(fd) } }
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while !stopped.load(ordering: .relaxed), !open.isEmpty {
            for (fd, ready) in zip(open, Self.readable(open)) where ready {
                let count = recv(fd, &buffer, buffer.count, 0)
                let quiet = silent.load(ordering: .relaxed)
                if count <= 0 {
                    // Closed: passed on while forwarding, kept from the other side once silent.
                    if !quiet { return }
                    close(fd)
                    open.removeAll { $0 == fd }
                    continue
                }
                if quiet { continue }
                let other = fd == client ? upstream : client
                guard other >= 0, Self.sendAll(other, buffer[..<count]) else { return }
            }
        }
    }

    /// Which of `fds` have something to read (or were closed), waiting up to 100 ms.
    private static func readable(_ fds: [Int32]) -> [Bool] {
        var polled = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard poll(&polled, nfds_t(polled.count), 100) > 0 else { return fds.map { _ in false } }
        return polled.map { $0.revents != 0 }
    }

    private static func sendAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        var rest = bytes
        while !rest.isEmpty {
            let sent = rest.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return false }
            rest = rest.dropFirst(sent)
        }
        return true
    }
}
