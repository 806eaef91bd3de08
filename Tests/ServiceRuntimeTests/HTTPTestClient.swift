import NIOCore
import NIOHTTP1
import NIOPosix

/// A one-request HTTP/1.1 client over a real socket, built on NIO's client bootstrap.
enum HTTPTestClient {
    struct Response {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: String
    }

    static func request(_ path: String, method: HTTPMethod = .GET, body: String? = nil, port: Int) async throws -> Response {
        let channel = try await connect(port: port)
        return try await channel.executeThenClose { inbound, outbound in
            try await send(method, path, body: body, on: outbound)
            return try await receive(from: inbound)
        }
    }

    typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    static func connect(port: Int) async throws -> Connection {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    static func send(
        _ method: HTTPMethod,
        _ path: String,
        body: String? = nil,
        on outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    ) async throws {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: ["host": "127.0.0.1"])
        if let body {
            head.headers.add(name: "content-length", value: String(body.utf8.count))
        }
        try await outbound.write(.head(head))
        if let body {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
        }
        try await outbound.write(.end(nil))
    }

    static func receive(from inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>) async throws -> Response {
        var head: HTTPResponseHead?
        var body = ByteBuffer()
        for try await part in inbound {
            switch part {
            case .head(let received): head = received
            case .body(var chunk): body.writeBuffer(&chunk)
            case .end:
                guard let head else { throw ResponseIncomplete() }
                return Response(status: head.status, headers: head.headers, body: String(buffer: body))
            }
        }
        throw ResponseIncomplete()
    }

    struct ResponseIncomplete: Error {}
}
