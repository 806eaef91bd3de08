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
    private var lastWrite = NIODeadline.now()
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

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.lastWrite = .now()
        context.write(data, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        switch event as? MQTTReadFlow {
        case .paused: self.readsPaused = true
        case .resumed: self.readsPaused = false
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
        let now = NIODeadline.now()
        if let sent = self.pingSentAt {
            let deadline = sent + self.pingTimeout
            if now >= deadline && !self.readsPaused {
                context.fireErrorCaught(MQTTClientError.keepAliveTimeout)
                return
            }
            // While reads are held back the PINGRESP may be waiting unread; ask again later.
            self.schedule(context: context, at: max(deadline, now + self.pingTimeout))
            return
        }
        if now >= self.lastWrite + self.interval {
            self.pingSentAt = now
            context.writeAndFlush(self.wrapOutboundOut(.pingreq), promise: nil)
            self.lastWrite = now
            self.schedule(context: context, at: now + self.pingTimeout)
        } else {
            self.schedule(context: context, at: self.lastWrite + self.interval)
        }
    }
}
