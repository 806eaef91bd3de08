import Logging
import NIOCore
import NIOHTTP1

/// Answers the requests of one connection in turn from the routes: aggregates each body (413 and
/// close when over the limit), writes the whole response, keeps the connection while the client
/// asks to.
struct HTTPResponder: Sendable {
    let routes: HTTPRoutes
    let maximumBodyBytes: Int
    let logger: Logger

    func serve(_ connection: HTTPServer.Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body = []
                    case .body(let buffer):
                        body.append(contentsOf: buffer.readableBytesView)
                        if body.count > maximumBodyBytes, let requestHead = head {
                            let refusal = HTTPServerResponse.error(.payloadTooLarge, "body over \(maximumBodyBytes) bytes")
                            try await write(refusal, answering: requestHead, keepAlive: false, to: outbound)
                            return
                        }
                    case .end:
                        guard let requestHead = head else { return }
                        head = nil
                        let request = HTTPServerRequest(
                            method: requestHead.method, uri: requestHead.uri, headers: requestHead.headers, body: body)
                        let response = await routes.response(to: request)
                        try await write(response, answering: requestHead, keepAlive: requestHead.isKeepAlive, to: outbound)
                        guard requestHead.isKeepAlive else { return }
                    }
                }
            }
        } catch {
            logger.debug("HTTP connection ended", metadata: ["error": "\(error)"])
        }
    }

    private func write(
        _ response: HTTPServerResponse,
        answering request: HTTPRequestHead,
        keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders(response.headers)
        if response.status != .noContent {
            headers.replaceOrAdd(name: "content-length", value: String(response.body.count))
        }
        headers.replaceOrAdd(name: "connection", value: keepAlive ? "keep-alive" : "close")
        try await outbound.write(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers)))
        if request.method != .HEAD, !response.body.isEmpty {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
        }
        try await outbound.write(.end(nil))
    }
}
