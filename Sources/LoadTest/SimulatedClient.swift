import MQTTCore
import NIOCore
import NIOSSL

/// What one simulated client does once connected.
public enum ClientRole: Sendable {
    /// Subscribes and counts (and acknowledges) what arrives, measuring end-to-end latency from
    /// the timestamp that publishers put in the first 8 bytes of every payload.
    case subscriber(filter: String, qos: QoS)
    case publisher(PublishPlan)
    /// Connects and stays silent (memory per idle connection).
    case idle
}

public struct PublishPlan: Sendable {
    public var topic: String
    public var qos: QoS
    public var payloadSize: Int
    public var count: Int
    /// QoS 1/2 messages in flight at once.
    public var window: Int
    /// Messages per second for this client; nil: as fast as the window and the socket allow.
    public var ratePerSecond: Double?

    public init(topic: String, qos: QoS, payloadSize: Int, count: Int, window: Int = 32, ratePerSecond: Double? = nil) {
        self.topic = topic
        self.qos = qos
        self.payloadSize = max(payloadSize, 8)
        self.count = count
        self.window = window
        self.ratePerSecond = ratePerSecond
    }
}

public struct ClientSpec: Sendable {
    public var clientID: String
    public var username: String?
    public var cleanSession = true
    public var keepAlive: UInt16 = 60
    public var role: ClientRole
    /// This client's own TLS identity (a device certificate); nil: the runner's target TLS.
    public var sslContext: NIOSSLContext?

    public init(clientID: String, username: String? = nil, role: ClientRole) {
        self.clientID = clientID
        self.username = username
        self.role = role
    }
}

/// One simulated MQTT client: a small handler on its channel's loop, so that one process can
/// run tens of thousands of them without a thread or a task each.
final class SimulatedClient: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    private let spec: ClientSpec
    private let stats: LoopStats
    private var context: ChannelHandlerContext!
    private var connectStart: UInt64 = 0
    private var isConnected = false
    private var sent = 0
    private var nextID: UInt16 = 1
    private var inflight: [UInt16: UInt64] = [:]
    private var payload = ByteBuffer()
    private var timer: RepeatedTask?
    /// Called once, when the connect is over (CONNACK, or the connection ended before it).
    private var onSettled: (@Sendable () -> Void)?

    init(spec: ClientSpec, stats: LoopStats, onSettled: (@Sendable () -> Void)? = nil) {
        self.spec = spec
        self.stats = stats
        self.onSettled = onSettled
    }

    private func settle() {
        let settled = self.onSettled
        self.onSettled = nil
        settled?()
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        self.connectStart = NIODeadline.now().uptimeNanoseconds
        let connect = ConnectPacket(clientID: self.spec.clientID, cleanSession: self.spec.cleanSession, keepAlive: self.spec.keepAlive, username: self.spec.username)
        context.writeAndFlush(Self.wrapOutboundOut(.connect(connect)), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        if self.isConnected { self.stats.totals.closedUnexpectedly += 1 } else { self.stats.totals.connectFailures += 1 }
        self.isConnected = false
        self.settle()
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
            self.isConnected = true
            self.stats.totals.connected += 1
            _ = self.stats.totals.connectLatency.record(LoopStats.micros(since: self.connectStart))
            self.settle()
            self.start()
        case .suback:
            self.stats.totals.subscribed += 1
        case .publish(let publish):
            self.received(publish)
        case .puback(let id), .pubcomp(let id):
            if let start = self.inflight.removeValue(forKey: id) {
                self.stats.totals.acknowledged += 1
                _ = self.stats.totals.ackLatency.record(LoopStats.micros(since: start))
            }
            self.publishMore()
        case .pubrec(let id):
            context.writeAndFlush(Self.wrapOutboundOut(.pubrel(packetID: id)), promise: nil)
        case .pubrel(let id):
            context.writeAndFlush(Self.wrapOutboundOut(.pubcomp(packetID: id)), promise: nil)
        default:
            break
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.publishMore() }
    }

    private func start() {
        switch self.spec.role {
        case .idle: break
        case .subscriber(let filter, let qos):
            let subscribe = SubscribePacket(packetID: 1, subscriptions: [.init(filter: filter, qos: qos)])
            self.context.writeAndFlush(Self.wrapOutboundOut(.subscribe(subscribe)), promise: nil)
        case .publisher(let plan):
            self.payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: plan.payloadSize)
            self.inflight.reserveCapacity(plan.window)
            if let rate = plan.ratePerSecond {
                let interval = TimeAmount.nanoseconds(Int64(1_000_000_000 / rate))
                // A random first delay spreads the publishers of a fixed-rate run evenly.
                let initial = TimeAmount.nanoseconds(Int64.random(in: 0...interval.nanoseconds))
                let bound = NIOLoopBound(self, eventLoop: self.context.eventLoop)
                self.timer = self.context.eventLoop.scheduleRepeatedTask(initialDelay: initial, delay: interval) { _ in
                    bound.value.publishOne(plan)
                    bound.value.context.flush()
                }
            } else {
                self.publishMore()
            }
        }
    }

    private func received(_ publish: PublishPacket) {
        self.stats.totals.received += 1
        if let stamp = publish.payload.getInteger(at: publish.payload.readerIndex, as: UInt64.self) {
            _ = self.stats.totals.endToEndLatency.record(LoopStats.micros(since: stamp))
        }
        switch publish.qos {
        case .atMostOnce: break
        case .atLeastOnce: self.context.writeAndFlush(Self.wrapOutboundOut(.puback(packetID: publish.packetID!)), promise: nil)
        case .exactlyOnce: self.context.writeAndFlush(Self.wrapOutboundOut(.pubrec(packetID: publish.packetID!)), promise: nil)
        }
    }

    /// As fast as allowed: fills the window (QoS 1/2) or the socket (QoS 0), a bounded burst at a
    /// time so that other clients on the loop get their turn.
    private func publishMore() {
        guard case .publisher(let plan) = self.spec.role, plan.ratePerSecond == nil, self.isConnected else { return }
        var burst = 0
        while self.sent < plan.count && burst < 64 && self.context.channel.isWritable {
            if plan.qos != .atMostOnce && self.inflight.count >= plan.window { break }
            self.publishOne(plan)
            burst += 1
        }
        if burst > 0 { self.context.flush() }
        if burst == 64 && plan.qos == .atMostOnce {
            self.context.eventLoop.assumeIsolated().execute { self.publishMore() }
        }
    }

    private func publishOne(_ plan: PublishPlan) {
        guard self.sent < plan.count, self.isConnected else {
            self.timer?.cancel()
            return
        }
        let now = NIODeadline.now().uptimeNanoseconds
        var payload = self.payload
        payload.setInteger(now, at: payload.readerIndex)
        var packetID: UInt16?
        if plan.qos != .atMostOnce {
            guard self.inflight.count < plan.window else { return }
            let id = self.nextID
            self.nextID = id == .max ? 1 : id + 1
            self.inflight[id] = now
            packetID = id
        }
        self.sent += 1
        self.stats.totals.sent += 1
        let publish = PublishPacket(topic: plan.topic, payload: payload, qos: plan.qos, packetID: packetID)
        self.context.write(Self.wrapOutboundOut(.publish(publish)), promise: nil)
    }
}
