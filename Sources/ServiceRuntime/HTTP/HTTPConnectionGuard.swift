import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Bounds what strangers can hold on an HTTP listener: at most `maximumConnections` open at once
/// (more are closed at accept); the first request must be complete (header and body) within
/// `requestTimeout` of accept, and each later one on a keep-alive connection within `idleTimeout`
/// of the previous response; bodies over `maximumBodyBytes` get 413. A slow or idle client cannot
/// keep file descriptors that the MQTT listeners need.
public struct HTTPConnectionLimits: Sendable {
    public var maximumConnections: Int
    public var requestTimeout: TimeAmount
    public var idleTimeout: TimeAmount
    public var maximumBodyBytes: Int

    /// - Parameter idleTimeout: by default the same as `requestTimeout`.
    public init(
        maximumConnections: Int = 128,
        requestTimeout: TimeAmount = .seconds(10),
        idleTimeout: TimeAmount? = nil,
        maximumBodyBytes: Int = 1 << 20
    ) {
        precondition(maximumConnections > 0 && maximumBodyBytes >= 0)
        self.maximumConnections = maximumConnections
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout ?? requestTimeout
        self.maximumBodyBytes = maximumBodyBytes
    }
}

/// The open connections of one listener, against `HTTPConnectionLimits.maximumConnections`.
/// Touched at accept and close only.
final class HTTPConnectionBudget: Sendable {
    private let open = NIOLockedValueBox(0)
    let limits: HTTPConnectionLimits

    init(_ limits: HTTPConnectionLimits) {
        self.limits = limits
    }

    var openConnections: Int { open.withLockedValue { $0 } }

    /// Counts `channel` and releases it when it closes; false (and closes it) when the listener
    /// is full. ``HTTPServer`` calls it first for each accepted connection.
    func admit(_ channel: any Channel) -> Bool {
        let admitted = open.withLockedValue { count in
            guard count < limits.maximumConnections else { return false }
            count += 1
            return true
        }
        guard admitted else {
            channel.close(promise: nil)
            return false
        }
        channel.closeFuture.whenComplete { _ in self.open.withLockedValue { $0 -= 1 } }
        return true
    }
}

/// Closes the connection when a request is not complete in time (see ``HTTPConnectionLimits``);
/// sits after the HTTP server codec. Belongs to its channel's event loop.
final class HTTPRequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let requestTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(requestTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
    }

    convenience init(_ limits: HTTPConnectionLimits) {
        self.init(requestTimeout: limits.requestTimeout, idleTimeout: limits.idleTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startWaiting(context, for: requestTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startWaiting(context, for: requestTimeout)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            // The whole request is here; the handler's time to answer is not the client's.
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { startWaiting(context, for: idleTimeout) }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    private func startWaiting(_ context: ChannelHandlerContext, for timeout: TimeAmount) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}

@available(*, unavailable)
extension HTTPRequestTimeoutHandler: Sendable {}
