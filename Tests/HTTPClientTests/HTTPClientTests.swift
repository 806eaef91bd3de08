import Foundation
import HTTPClient
import Logging
import ServiceRuntime
import Testing

/// A test server that echoes method, path, body and one header, and has a few special paths.
private func withEchoServer(_ body: (String) async throws -> Void) async throws {
    try await withHTTPServer(handler: { request in
        switch request.path {
        case "/slow":
            try? await Task.sleep(for: .seconds(20))
            return HTTPServerResponse(status: .ok)
        case "/big":
            return HTTPServerResponse(status: .ok, body: [UInt8](repeating: 0x61, count: 64 * 1024))
        case "/missing":
            return .error(.notFound, "no such thing")
        default:
            return .json(
                .ok,
                [
                    "method": "\(request.method)", "path": request.path, "body": String(decoding: request.body, as: UTF8.self),
                    "x-test": request.headers.first(name: "X-Test") ?? "", "content-type": request.headers.first(name: "Content-Type") ?? "",
                ])
        }
    }) { port in
        try await body("http://127.0.0.1:\(port)")
    }
}

private func decode(_ response: HTTPResponse) throws -> [String: String] {
    try JSONDecoder().decode([String: String].self, from: Data(response.body))
}

@Suite(.timeLimit(.minutes(1))) struct HTTPClientTests {
    let client = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(5), totalTimeout: .seconds(30)))

    @Test func getReturnsStatusHeadersAndBody() async throws {
        try await withEchoServer { base in
            let response = try await client.get("\(base)/hello?x=1", headers: [("X-Test", "yes")])
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            let echoed = try decode(response)
            #expect(echoed["method"] == "GET")
            #expect(echoed["path"] == "/hello")
            #expect(echoed["x-test"] == "yes")
        }
    }

    @Test func postSendsAJSONBodyOfAnySize() async throws {
        try await withEchoServer { base in
            let text = "{\"csr\":\"" + String(repeating: "A", count: 5000) + "\"}"
            let response = try await client.post("\(base)/sign", json: Array(text.utf8))
            let echoed = try decode(response)
            #expect(echoed["method"] == "POST")
            #expect(echoed["body"] == text)
            #expect(echoed["content-type"] == "application/json")
        }
    }

    @Test func deleteSendsTheDeleteMethod() async throws {
        try await withEchoServer { base in
            let echoed = try decode(try await client.delete("\(base)/certificates/AB"))
            #expect(echoed["method"] == "DELETE")
        }
    }

    @Test func errorStatusIsAResponseNotAnError() async throws {
        try await withEchoServer { base in
            let response = try await client.get("\(base)/missing")
            #expect(response.status == 404)
            #expect(!response.isSuccess)
            #expect(response.bodyText.contains("no such thing"))
        }
    }

    @Test func refusedConnectionIsATypedErrorNamingTheURL() async throws {
        let url = "http://127.0.0.1:1/nothing"
        await #expect {
            _ = try await client.get(url)
        } throws: { error in
            guard let error = error as? HTTPClientError, case .transfer(let code) = error.kind else { return false }
            return code == 7 && error.url == url && "\(error)".contains(url) && !error.message.isEmpty
        }
    }

    @Test func totalTimeoutEndsASlowRequest() async throws {
        let impatient = HTTPClient(configuration: HTTPClientConfiguration(totalTimeout: .milliseconds(300)))
        try await withEchoServer { base in
            let started = ContinuousClock.now
            await #expect {
                _ = try await impatient.get("\(base)/slow")
            } throws: { error in
                (error as? HTTPClientError)?.isTimeout == true
            }
            // Well below the server's 20 s, with room for a busy test machine.
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func oversizedResponseIsRefused() async throws {
        let small = HTTPClient(configuration: HTTPClientConfiguration(maximumResponseBytes: 1024))
        try await withEchoServer { base in
            await #expect {
                _ = try await small.get("\(base)/big")
            } throws: { error in
                (error as? HTTPClientError)?.kind == .responseTooLarge
            }
        }
    }

    @Test func concurrentRequestsAllComplete() async throws {
        try await withEchoServer { base in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<10 {
                    group.addTask { try await client.get("\(base)/n\(index)").status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 10))
        }
    }
}

@Suite struct HTTPClientProtocolTests {
    @Test func onlyHTTPAndHTTPSAreAllowed() async throws {
        await #expect {
            _ = try await HTTPClient().get("file:///etc/hostname")
        } throws: { error in
            guard let error = error as? HTTPClientError, case .transfer(let code) = error.kind else { return false }
            return code == 1  // CURLE_UNSUPPORTED_PROTOCOL
        }
    }
}
