import HummingbirdCore
import Logging
import Metrics
import NIOCore

/// A server's connections, each closed unless its first request's head (a device's WebSocket
/// upgrade, an operator's `GET /v1/status`) has arrived whole within `deadline` of connecting.
///
/// Until its first request the HTTP server has nothing to time: a socket that connects and says
/// nothing, or sends a head a byte at a time, would hold a descriptor for good, outside
/// `maxConnections` (a phone that lost its network mid-connect, a scanner, a flood). Once the head
/// is in, the WebSocket session's handshake timeout and pings, or the HTTP idle timeout, take
/// over.
///
/// It reads the bytes as they come off the socket: the server speaks plain HTTP (the sync
/// protocol seals its own frames). A TLS layer added to the server would have to sit before it.
struct RequestHeadDeadline<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let deadline: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                RequestHeadDeadlineHandler(deadline: deadline, logger: logger))
        }
        .flatMap { base.setup(channel: channel, logger: logger) }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// First in a connection's pipeline: closes the connection `deadline` after it opened unless
/// the bytes read by then end a request head (a blank line, CR LF CR LF); then it leaves the
/// pipeline, which passes the rest of the connection's bytes on without it.
final class RequestHeadDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let deadline: TimeAmount
    private let logger: Logger
    private var timer: Scheduled<Void>?
    /// Whether a whole head has arrived.
    private var headRead = false
    /// How many bytes of CR LF CR LF the bytes read so far end with.
    private var matched = 0

    init(deadline: TimeAmount, logger: Logger) {
        self.deadline = deadline
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let ended = !headRead && endsHead(unwrapInboundIn(data))
        context.fireChannelRead(data)
        guard ended else { return }
        headRead = true
        timer?.cancel()
        timer = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    private func startTimer(_ context: ChannelHandlerContext) {
        guard timer == nil, !headRead else { return }
        let channel = context.channel
        let (logger, deadline) = (logger, deadline)
        timer = context.eventLoop.scheduleTask(in: deadline) {
            logger.debug(
                "closing a connection that sent no whole request in time",
                metadata: [
                    "remote": "\(channel.remoteAddress.map { "\($0)" } ?? "unknown")", "deadline": "\(deadline)",
                ])
            Counter(label: HubMetrics.connectionsTimedOut).increment()
            channel.close(promise: nil)
        }
    }

    /// Whether `buffer`, after what was read before it, completes CR LF CR LF.
    private func endsHead(_ buffer: ByteBuffer) -> Bool {
        let blankLine: [UInt8] = [13, 10, 13, 10]
        return buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                if byte == blankLine[matched] {
                    matched += 1
                    if matched == blankLine.count { return true }
                } else {
                    matched = byte == 13 ? 1 : 0
                }
            }
            return false
        }
    }
}
