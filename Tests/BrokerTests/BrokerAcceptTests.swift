import BrokerTestSupport
import NIOCore
import Testing

@testable import Broker

/// Every event loop accepts (one SO_REUSEPORT socket each), so a reconnect storm is not
/// accepted by one thread; connections stay on the loop that accepted them.
@Suite struct BrokerAcceptTests {
    @Test func connectionsAreAcceptedOnEveryEventLoop() async throws {
        try await withTestBroker { broker in
            #expect(broker.server.connections.listenerCount == 2, "one listening socket per loop")
            var clients: [RawClient] = []
            for index in 0..<32 {
                let (client, connack) = try await RawClient.connect(broker, clientID: "spread-\(index)")
                #expect(connack.returnCode == .accepted)
                clients.append(client)
            }
            let (_, open) = broker.server.connections.listenersAndClients()
            let loops = Set(open.map { ObjectIdentifier($0.eventLoop) })
            // 32 connections hashed over two sockets: all on one would be a 1 in 2^31 chance.
            #expect(loops.count == 2, "all \(open.count) connections were accepted on one loop")
            for client in clients { await client.disconnect() }
        }
    }
}
