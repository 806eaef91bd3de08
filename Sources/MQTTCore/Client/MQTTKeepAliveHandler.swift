import NIOCore

/// Sends PINGREQ when the client has written nothing for a keepalive interval, and closes the
/// connection (with `MQTTClientError.keepAliveTimeout`) when PINGRESP does not follow in time.
///
/// One timer per connection, rescheduled only when it fires: a write just records the time, so
/// busy connections pay nothing per packet beyond reading the clock.
final class MQTTKeepAliveHandler: ChannelDuplexHandler {
    typealias InboundIn = MQTTPacket
    typealias InboundOut = MQTTPacket
    typealias OutboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    private let interval: TimeAmount
    private let pingTimeout: TimeAmount
    private var lastWrite: NIODeadline = .uptimeNanoseconds(0)
    /// When the oldest unanswered PINGREQ went out.
    private var pingSentAt: NIODeadline?
    private var timer: Scheduled<Void>?
    private var readsPaused = false

    init(interval: TimeAmount, pingTimeout: TimeAmount) {
        precondition(interval.nanoseconds > 0, "keepalive off means no keepalive handler")
        self.interval = interval
        self.pingTimeout = min(pingTimeout, interval)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .pingresp:
            self.pingSentAt = nil
        case .connack(let connack):
            // PINGREQ is allowed only once the session is up.
            if connack.returnCode == .accepted { self.schedule(context: context, at: self.lastWrite + self.interval) }
            context.fireChannelRead(data)
        default:
            context.fireChannelRead(data)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.lastWrite = context.eventLoop.now
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.lastWrite = context.eventLoop.now
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        switch event as? MQTTReadFlow {
        case .paused:
            self.readsPaused = true
        case .resumed:
            self.readsPaused = false
            // Give the PINGRESP that may be among the unread bytes a full timeout to arrive.
            if self.pingSentAt != nil { self.schedule(context: context, at: context.eventLoop.now + self.pingTimeout) }
        case .resume, nil:
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancel()
    }

    private func cancel() {
        self.timer?.cancel()
        self.timer = nil
    }

    private func schedule(context: ChannelHandlerContext, at deadline: NIODeadline) {
        self.timer?.cancel()
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        self.timer = nil
        guard context.channel.isActive else { return }
        let now = context.eventLoop.now
        if let sent = self.pingSentAt, now >= sent + self.pingTimeout, !self.readsPaused {
            context.fireErrorCaught(MQTTClientError.keepAliveTimeout)
            return
        }
        if now >= self.lastWrite + self.interval {
            // Also while reads are held back and a PINGRESP may sit unread: the broker needs to
            // hear from us within 1.5 x keepalive whatever the application is doing.
            context.writeAndFlush(self.wrapOutboundOut(.pingreq), promise: nil)
            self.lastWrite = now
            if self.pingSentAt == nil { self.pingSentAt = now }
        }
        var next = self.lastWrite + self.interval
        if let sent = self.pingSentAt, !self.readsPaused { next = min(next, sent + self.pingTimeout) }
        self.schedule(context: context, at: next)
    }
}
