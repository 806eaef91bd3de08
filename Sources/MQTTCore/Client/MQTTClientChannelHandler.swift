import NIOCore

/// The seam between one client connection and the `MQTTClient`: hands each packet to the
/// client, holds socket reads back while the application's message buffer is full, and reports
/// how the connection ended. Lives on its channel's event loop only.
final class MQTTClientChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = MQTTPacket
    typealias OutboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    /// What the client wants after a packet.
    enum Verdict {
        case continueReading
        case pauseReading
        case close(MQTTClientError)
    }

    private let client: MQTTClient
    private let connectionID: UInt64
    private var readsPaused = false
    private var readPending = false
    private var closeReason: MQTTClientError?

    init(client: MQTTClient, connectionID: UInt64) {
        self.client = client
        self.connectionID = connectionID
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let packet = self.unwrapInboundIn(data)
        switch self.client.received(packet, connectionID: self.connectionID) {
        case .continueReading:
            break
        case .pauseReading:
            guard !self.readsPaused else { return }
            self.readsPaused = true
            context.triggerUserOutboundEvent(MQTTReadFlow.paused, promise: nil)
        case .close(let error):
            self.closeReason = self.closeReason ?? error
            context.close(promise: nil)
        }
    }

    func read(context: ChannelHandlerContext) {
        if self.readsPaused {
            self.readPending = true
        } else {
            context.read()
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard case .resume = event as? MQTTReadFlow else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed()
        guard self.readsPaused else { return }
        self.readsPaused = false
        context.triggerUserOutboundEvent(MQTTReadFlow.resumed, promise: nil)
        if self.readPending {
            self.readPending = false
            context.read()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.closeReason = self.closeReason ?? Self.clientError(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.client.channelClosed(connectionID: self.connectionID, error: self.closeReason)
        context.fireChannelInactive()
    }

    private static func clientError(_ error: any Error) -> MQTTClientError {
        switch error {
        case let error as MQTTClientError: error
        case let error as MQTTDecodingError: .protocolViolation("\(error)")
        default: .transport(String(describing: error))
        }
    }
}
