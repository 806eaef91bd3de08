import MQTTCore
import NIOCore

/// What every simulated device of a run does; shared, immutable.
public struct DevicePlan: Sendable {
    public var format: PayloadFormat
    public var qos: QoS
    public var interval: TimeAmount
    public var jitter: TimeAmount
    public var messagesPerDevice: Int?
    /// Devices stop publishing here (the end of the steady phase).
    public var publishUntil: NIODeadline
    /// The steady phase starts when every connection has been attempted; acknowledgements from
    /// then on are also recorded apart, free of the connect ramp's TLS handshakes.
    public var steadyFrom: NIODeadline
    public var keepAlive: UInt16
    /// Plain MQTT: the identity goes in the CONNECT user name.
    public var sendsUsername: Bool
    /// A connection without CONNACK by then counts as a failed connect.
    public var connectTimeout: TimeAmount = .seconds(30)
    /// Unacknowledged publishes per device; a tick that finds it full is skipped (and counted).
    public var inflightLimit = 100
}

/// One simulated device: a small handler on its channel's loop (no thread or task per device).
/// It connects as `tenant:device`, subscribes to its `config` topic, publishes to `attrs` at the
/// plan's interval with jitter, and measures CONNACK, PUBACK and config latencies.
final class SimulatedDevice: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    let index: Int
    let identity: String
    private let plan: DevicePlan
    private let stats: LoopStats
    private let attrsTopic: String
    private var context: ChannelHandlerContext?
    private var connectStart: UInt64 = 0
    private var isConnected = false
    private var isPublishing = true
    private var isClosing = false
    private var sequence: UInt32 = 0
    private var nextPacketID: UInt16 = 1
    private var inflight: [UInt16: (sent: UInt64, key: UInt64)] = [:]
    private var nextTick = NIODeadline.now()
    private var tick: Scheduled<Void>?
    private var connectTimeout: Scheduled<Void>?
    private var keepAlive: Scheduled<Void>?

    var inflightCount: Int { self.inflight.count }

    init(index: Int, identity: String, plan: DevicePlan, stats: LoopStats) {
        self.index = index
        self.identity = identity
        self.plan = plan
        self.stats = stats
        self.attrsTopic = "\(identity)/attrs"
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        self.stats.openDevices[ObjectIdentifier(self)] = self
        self.connectStart = NIODeadline.now().uptimeNanoseconds
        let connect = ConnectPacket(
            clientID: self.identity, cleanSession: true, keepAlive: self.plan.keepAlive,
            username: self.plan.sendsUsername ? self.identity : nil
        )
        context.writeAndFlush(Self.wrapOutboundOut(.connect(connect)), promise: nil)
        self.connectTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: self.plan.connectTimeout) {
            if !self.isConnected { self.context?.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stats.openDevices[ObjectIdentifier(self)] = nil
        self.tick?.cancel()
        self.connectTimeout?.cancel()
        self.keepAlive?.cancel()
        if !self.isConnected {
            self.stats.totals.connectFailures += 1
        } else if !self.isClosing {
            self.stats.totals.closedUnexpectedly += 1
        }
        self.stats.totals.unacknowledgedAtClose += self.inflight.count
        self.inflight = [:]
        self.isConnected = false
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .connack(let connack):
            guard connack.returnCode == .accepted else {
                context.close(promise: nil)
                return
            }
            self.connectTimeout?.cancel()
            self.isConnected = true
            self.stats.totals.connected += 1
            _ = self.stats.totals.connectLatency.record(LoopStats.micros(since: self.connectStart))
            let subscribe = SubscribePacket(packetID: 1, subscriptions: [.init(filter: "\(self.identity)/config", qos: .atLeastOnce)])
            context.writeAndFlush(Self.wrapOutboundOut(.subscribe(subscribe)), promise: nil)
            self.startKeepAlive(context: context)
            self.startPublishing(context: context)
        case .suback(let suback):
            if suback.returnCodes.allSatisfy({ $0 != .failure }) { self.stats.totals.subscribed += 1 }
        case .publish(let publish):
            self.receivedConfig(publish, context: context)
        case .puback(let id), .pubcomp(let id):
            if let entry = self.inflight.removeValue(forKey: id) {
                self.stats.totals.acknowledged += 1
                let now = NIODeadline.now()
                let latency = LoopStats.micros(since: entry.sent, now: now.uptimeNanoseconds)
                _ = self.stats.totals.ackLatency.record(latency)
                if now >= self.plan.steadyFrom { _ = self.stats.totals.steadyAckLatency.record(latency) }
                if self.stats.tracksAcknowledgedKeys { self.stats.acknowledgedKeys.append(entry.key) }
            }
        case .pubrec(let id):
            context.writeAndFlush(Self.wrapOutboundOut(.pubrel(packetID: id)), promise: nil)
        case .pubrel(let id):
            context.writeAndFlush(Self.wrapOutboundOut(.pubcomp(packetID: id)), promise: nil)
        default:
            break
        }
    }

    /// No more publishes; what is in flight may still be acknowledged.
    func stopPublishing() {
        self.isPublishing = false
        self.tick?.cancel()
    }

    /// A clean DISCONNECT, then close.
    func disconnect() {
        self.stopPublishing()
        guard let context = self.context else { return }
        self.isClosing = true
        context.writeAndFlush(Self.wrapOutboundOut(.disconnect)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// A PINGREQ every keepalive interval, so that slow publishers, and devices that wait out
    /// the grace period, are not closed by the broker's keepalive check.
    private func startKeepAlive(context: ChannelHandlerContext) {
        guard self.plan.keepAlive > 0 else { return }
        self.keepAlive = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(Int64(self.plan.keepAlive))) {
            guard let context = self.context else { return }
            context.writeAndFlush(Self.wrapOutboundOut(.pingreq), promise: nil)
            self.startKeepAlive(context: context)
        }
    }

    private func startPublishing(context: ChannelHandlerContext) {
        // A random first delay spreads the devices' publishes evenly over the interval.
        self.nextTick = .now() + .nanoseconds(Int64.random(in: 0...max(0, self.plan.interval.nanoseconds)))
        self.schedule(context: context)
    }

    private func schedule(context: ChannelHandlerContext) {
        guard self.isPublishing, self.nextTick < self.plan.publishUntil else {
            self.isPublishing = false
            return
        }
        self.tick = context.eventLoop.assumeIsolated().scheduleTask(deadline: self.nextTick) {
            self.publishOne()
        }
    }

    private func publishOne() {
        guard self.isPublishing, self.isConnected, let context = self.context else { return }
        if let limit = self.plan.messagesPerDevice, Int(self.sequence) >= limit {
            self.isPublishing = false
            return
        }
        if self.plan.qos == .atMostOnce || self.inflight.count < self.plan.inflightLimit {
            self.send(context: context)
        } else {
            self.stats.totals.skippedTicks += 1
        }
        // Deadlines advance from the previous one, so the rate does not drift with load.
        let jitter = self.plan.jitter.nanoseconds
        let offset = jitter > 0 ? Int64.random(in: -jitter...jitter) : 0
        self.nextTick = self.nextTick + self.plan.interval + .nanoseconds(offset)
        self.schedule(context: context)
    }

    private func send(context: ChannelHandlerContext) {
        let sequence = self.sequence
        self.sequence += 1
        let key = MessageMarker(device: self.index, sequence: sequence, sentMicros: 0).key
        var packetID: UInt16?
        if self.plan.qos != .atMostOnce {
            var id = self.nextPacketID
            while self.inflight[id] != nil { id = id == .max ? 1 : id + 1 }
            self.nextPacketID = id == .max ? 1 : id + 1
            self.inflight[id] = (NIODeadline.now().uptimeNanoseconds, key)
            packetID = id
        } else if self.stats.tracksAcknowledgedKeys {
            // QoS 0 has no acknowledgement: a message written is one expected downstream.
            self.stats.acknowledgedKeys.append(key)
        }
        self.stats.totals.sent += 1
        let payload = self.plan.format.payload(device: self.index, sequence: sequence)
        let publish = PublishPacket(topic: self.attrsTopic, payload: payload, qos: self.plan.qos, packetID: packetID)
        context.writeAndFlush(Self.wrapOutboundOut(.publish(publish)), promise: nil)
    }

    private func receivedConfig(_ publish: PublishPacket, context: ChannelHandlerContext) {
        self.stats.totals.received += 1
        if let marker = MessageMarker.find(in: publish.payload, run: self.plan.format.run) {
            self.stats.totals.configReceived += 1
            _ = self.stats.totals.configLatency.record(WallClock.micros(since: marker.sentMicros))
        }
        switch publish.qos {
        case .atMostOnce: break
        case .atLeastOnce: context.writeAndFlush(Self.wrapOutboundOut(.puback(packetID: publish.packetID!)), promise: nil)
        case .exactlyOnce: context.writeAndFlush(Self.wrapOutboundOut(.pubrec(packetID: publish.packetID!)), promise: nil)
        }
    }
}
