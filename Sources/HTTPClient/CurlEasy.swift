import CCurl

/// curl_global_init is not thread-safe: run it exactly once (Swift globals initialise once).
private let curlGlobalInitResult: Int = Int(curl_global_init(Int(CURL_GLOBAL_DEFAULT)).rawValue)

/// Response bytes gathered by curl's callbacks during one blocking transfer.
private final class TransferSink {
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    let limit: Int
    var overflowed = false

    init(limit: Int) { self.limit = limit }

    func appendBody(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard body.count + bytes.count <= limit else {
            overflowed = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    func appendHeaderLine(_ bytes: UnsafeBufferPointer<UInt8>) {
        var end = bytes.endIndex
        while end > bytes.startIndex, [0x0D, 0x0A, 0x20].contains(bytes[end - 1]) { end -= 1 }
        let line = String(decoding: bytes[..<end], as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers.removeAll()  // a new response begins (after 100 Continue or a redirect)
        } else if let colon = line.firstIndex(of: ":") {
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            headers.append((String(line[..<colon]), String(value)))
        }
    }
}

/// One blocking transfer with a fresh easy handle. Runs on a pool thread, never an event loop.
enum CurlEasy {
    static func perform(_ request: HTTPRequest, configuration: HTTPClientConfiguration) throws(HTTPClientError) -> HTTPResponse {
        func failure(_ kind: HTTPClientError.Kind, _ message: String) -> HTTPClientError {
            HTTPClientError(kind: kind, method: request.method, url: request.url, message: message)
        }
        guard curlGlobalInitResult == Int(CURLE_OK.rawValue) else {
            throw failure(.invalidRequest, "curl_global_init failed (\(curlGlobalInitResult))")
        }
        guard let handle = curl_easy_init() else { throw failure(.invalidRequest, "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        // "Expect:" stops curl from waiting for 100 Continue before sending a body.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            guard let appended = curl_slist_append(headerList, line) else {
                throw failure(.invalidRequest, "cannot add header \(line)")
            }
            headerList = appended
        }

        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let sink = TransferSink(limit: configuration.maximumResponseBytes)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            var status = CURLE_OK
            func set(_ result: CURLcode) { if status == CURLE_OK { status = result } }
            set(ccurl_setopt_string(handle, CURLOPT_URL, request.url))
            set(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))  // no file://, ftp://, ... from configuration
            set(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress))
            set(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))  // no SIGALRM-based timeouts in a threaded process
            set(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.milliseconds))
            set(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, configuration.totalTimeout.milliseconds))
            set(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
            set(applyMethod(request, handle: handle))
            set(applyTLS(configuration.tls, handle: handle))
            set(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer))
            set(
                ccurl_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                    let sink = Unmanaged<TransferSink>.fromOpaque(context!).takeUnretainedValue()
                    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(data!).assumingMemoryBound(to: UInt8.self), count: size * count)
                    return sink.appendBody(bytes) ? size * count : 0
                })
            set(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer))
            set(
                ccurl_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                    let sink = Unmanaged<TransferSink>.fromOpaque(context!).takeUnretainedValue()
                    sink.appendHeaderLine(UnsafeBufferPointer(start: UnsafeRawPointer(data!).assumingMemoryBound(to: UInt8.self), count: size * count))
                    return size * count
                })
            guard status == CURLE_OK else { return status }
            return curl_easy_perform(handle)
        }

        if sink.overflowed {
            throw failure(.responseTooLarge, "response body larger than \(configuration.maximumResponseBytes) bytes")
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw failure(.transfer(code: Int(code.rawValue)), message)
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    private static func applyMethod(_ request: HTTPRequest, handle: UnsafeMutableRawPointer) -> CURLcode {
        switch request.method {
        case .get:
            return ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case .post, .put, .delete:
            let status = ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            guard status == CURLE_OK, request.body != nil || request.method != .delete else { return status }
            return applyBody(request.body ?? [], handle: handle)
        }
    }

    /// COPYPOSTFIELDS: curl keeps its own copy, the Swift buffer is only lent for this call.
    private static func applyBody(_ body: [UInt8], handle: UnsafeMutableRawPointer) -> CURLcode {
        let status = ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
        guard status == CURLE_OK else { return status }
        guard !body.isEmpty else { return ccurl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "") }
        return body.withUnsafeBytes { ccurl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) }
    }

    private static func applyTLS(_ tls: TLSOptions, handle: UnsafeMutableRawPointer) -> CURLcode {
        var status = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0)
        if status == CURLE_OK { status = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2 : 0) }
        for (option, value) in [(CURLOPT_CAINFO, tls.caFile), (CURLOPT_SSLCERT, tls.clientCertificateFile), (CURLOPT_SSLKEY, tls.clientKeyFile)] {
            if let value, status == CURLE_OK { status = ccurl_setopt_string(handle, option, value) }
        }
        return status
    }
}

extension Duration {
    fileprivate var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
