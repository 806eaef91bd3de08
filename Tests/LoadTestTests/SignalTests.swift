import BrokerTestSupport
import Foundation
import TestSupport
import Testing

/// The executable ends a run early on SIGINT and still drains, summarises and judges it.
@Suite(.timeLimit(.minutes(1))) struct SignalTests {
    @Test func sigintEndsTheRunWithASummary() async throws {
        try await withTestBroker { broker in
            let directory = try TemporaryDirectory.make(prefix: "loadtest-sigint")
            defer { try? FileManager.default.removeItem(at: directory) }
            let summaryPath = directory.appendingPathComponent("summary.json").path
            let child = try await ChildProcess.spawn(
                try BuiltProducts.path("loadtest"),
                [
                    "--port", "\(broker.port)", "--devices", "5", "--interval-ms", "100", "--duration", "300", "--summary", summaryPath,
                ], environment: ["LOADTEST_PROGRESS": "false"])
            try await Task.sleep(for: .seconds(2))
            child.signal(SIGINT)
            let status = try await child.wait(timeout: .seconds(20))
            #expect(status == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as? [String: Any])
            let publish = try #require(json["publish"] as? [String: Any])
            #expect((publish["sent"] as? Int ?? 0) > 0)
            #expect(publish["sent"] as? Int == publish["acknowledged"] as? Int)
            #expect((json["elapsedSeconds"] as? Double ?? 999) < 30)
        }
    }
}
