/// HTTP methods the client sends.
public enum HTTPMethod: String, Sendable {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"
}

/// One request.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?

    public init(method: HTTPMethod, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One response; headers are those of the final response (after any `100 Continue`).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// TLS settings for `https` URLs.
public struct TLSOptions: Sendable, Hashable {
    /// PEM bundle of trusted CAs; nil uses the system store.
    public var caFile: String?
    public var clientCertificateFile: String?
    public var clientKeyFile: String?
    /// Verify the server's chain and host name; turn off only for development.
    public var verifyPeer: Bool

    public init(caFile: String? = nil, clientCertificateFile: String? = nil, clientKeyFile: String? = nil, verifyPeer: Bool = true) {
        self.caFile = caFile
        self.clientCertificateFile = clientCertificateFile
        self.clientKeyFile = clientKeyFile
        self.verifyPeer = verifyPeer
    }
}

public struct HTTPClientConfiguration: Sendable {
    public var connectTimeout: Duration
    /// The whole exchange, connect included.
    public var totalTimeout: Duration
    public var tls: TLSOptions
    /// Larger response bodies fail the request instead of filling memory.
    public var maximumResponseBytes: Int

    public init(
        connectTimeout: Duration = .seconds(10),
        totalTimeout: Duration = .seconds(30),
        tls: TLSOptions = TLSOptions(),
        maximumResponseBytes: Int = 4 << 20
    ) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.tls = tls
        self.maximumResponseBytes = maximumResponseBytes
    }
}
