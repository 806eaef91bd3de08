import NIOCore
import NIOPosix
import NIOSSL

extension MQTTClient {
    /// The pipeline of one connection, head to tail: TLS (optional), decoder, encoder,
    /// keepalive (when on), and the handler that talks to this client.
    func makeBootstrap(connectionID: UInt64) -> ClientBootstrap {
        let configuration = self.configuration
        let serverHostname = configuration.tls.flatMap { tls in
            // SNI carries names only; an IP literal is checked against the certificate as an address.
            tls.serverHostname ?? ((try? SocketAddress(ipAddress: configuration.host, port: 0)) == nil ? configuration.host : nil)
        }
        return ClientBootstrap(group: self.eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls = configuration.tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls.context, serverHostname: serverHostname))
                    }
                    let limits = MQTTDecoderLimits(maxPacketSize: configuration.maxPacketSize)
                    try pipeline.addHandler(
                        ByteToMessageHandler(
                            MQTTPacketDecoder(limits: limits, protocolVersion: configuration.protocolVersion),
                            maximumBufferSize: configuration.maxPacketSize
                        ))
                    try pipeline.addHandler(MessageToByteHandler(MQTTPacketEncoder()))
                    if configuration.keepAlive.nanoseconds > 0 {
                        try pipeline.addHandler(
                            MQTTKeepAliveHandler(
                                interval: .seconds(Int64(configuration.keepAliveSeconds)),
                                pingTimeout: configuration.pingTimeout
                            ))
                    }
                    try pipeline.addHandler(MQTTClientChannelHandler(client: self, connectionID: connectionID))
                }
            }
    }
}
