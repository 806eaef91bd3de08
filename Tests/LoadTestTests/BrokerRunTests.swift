import BrokerTestSupport
import Foundation
import LoadTest
import MQTTAuthorization
import ServiceRuntime
import TestSupport
import Testing

/// `loadtest run` in this process against brokers, its counts checked against what the broker saw.
@Suite(.serialized, .timeLimit(.minutes(2))) struct BrokerRunTests {
    @Test func plainRunAgainstOurBrokerMatchesWhatTheBrokerDelivered() async throws {
        try await withTestBroker { broker in
            let counter = try await AttrsCounter(port: broker.port)
            let summary = try await DeviceRun(configuration: shortRun(port: broker.port), logger: quietLogger).run()
            try await Task.sleep(for: .milliseconds(300))
            let delivered = counter.count
            await counter.stop()
            #expect(summary.connect.succeeded == 20 && summary.connect.failed == 0 && summary.connect.subscribed == 20)
            #expect(summary.publish.sent == 100)
            #expect(summary.publish.acknowledged == 100)
            #expect(delivered == 100)
            #expect(summary.publish.ackLatency.count == 100)
            #expect(summary.passed, "\(summary.failures)")
        }
    }

    @Test func timelineAndHTMLReportShowTheRunSecondBySecond() async throws {
        try await withTestBroker { broker in
            var configuration = shortRun(port: broker.port, devices: 10)
            configuration.messagesPerDevice = nil
            configuration.duration = .seconds(3)
            let summary = try await DeviceRun(configuration: configuration, logger: quietLogger).run()
            let points = summary.timeline.points
            #expect(points.count >= 3, "one point a second and a last one")
            #expect(points.last?.acknowledged == summary.publish.acknowledged)
            #expect(points.contains { ($0.ackP99 ?? 0) > 0 })
            #expect(zip(points, points.dropFirst()).allSatisfy { $0.sent <= $1.sent })
            let html = HTMLReport.render(summary)
            #expect(html.hasPrefix("<!DOCTYPE html>") && !html.contains("<script"))
            // Three charts, each with a drawn line of several points.
            let lines = html.components(separatedBy: "<polyline").dropFirst()
            #expect(lines.count >= 3)
            #expect(lines.allSatisfy { $0.components(separatedBy: ",").count > 3 })
            #expect(html.contains("PUBACK p99") && html.contains(summary.run))
            let json = String(decoding: try summary.json(), as: UTF8.self)
            #expect(json.contains("\"timeline\""))
            #expect(summary.settings?.devices == 10 && summary.settings?.publishIntervalMs == 100)
            #expect(json.contains("\"settings\""))
            // A real browser draws it: headless Chromium's screenshot holds each plot colour.
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).html")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data(html.utf8).write(to: file)
            let check = try await TestSupport.ProcessRunner.run(
                "/usr/bin/python3", [root.appendingPathComponent("scripts/check-report.py").path, file.path, "#1f77b4", "#2ca02c", "#d62728"],
                timeout: .seconds(90))
            #expect(check.status == 0, "\(check.standardError)")
        }
    }

    @Test func slowPublishersStayConnectedThroughKeepalive() async throws {
        try await withTestBroker { broker in
            var configuration = shortRun(port: broker.port, devices: 5)
            configuration.messagesPerDevice = nil
            configuration.keepAlive = 1
            configuration.publishInterval = .seconds(5)
            configuration.jitter = .zero
            configuration.duration = .seconds(3)
            let summary = try await DeviceRun(configuration: configuration, logger: quietLogger).run()
            // The broker closes a connection silent for 1.5 keepalives; pings keep these open.
            #expect(summary.connect.succeeded == 5 && summary.connect.closedUnexpectedly == 0)
            #expect(summary.passed, "\(summary.failures)")
        }
    }

    @Test func mutualTLSRunWithDojotAuthorizationIsCountedByTheBroker() async throws {
        let directory = try makeCertificates(devices: 10)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let registry = MetricsBootstrap.bootstrap()
        try await withTestBroker(tls: .localCertificates(directory), plain: false, authorizer: DojotAuthorizer(v2kMark: "v2k-bridge", k2vMark: "k2v-bridge")) { broker in
            let connectsBefore = Self.sample(registry.emitToBuffer(), "broker_connects_total")
            let messagesBefore = Self.sample(registry.emitToBuffer(), #"broker_messages_received_total{qos="1"}"#)
            let summary = try await DeviceRun(
                configuration: shortRun(port: broker.port, devices: 10, messages: 4, transport: .mutualTLS(DeviceCertificates(directory: directory))),
                logger: quietLogger
            ).run()
            #expect(summary.transport == "mqtts")
            #expect(summary.connect.succeeded == 10 && summary.connect.failed == 0)
            // The dojot ACL lets a device subscribe to its config topic only: all granted means
            // the broker took the identities from the certificates.
            #expect(summary.connect.subscribed == 10)
            #expect(summary.publish.sent == 40 && summary.publish.acknowledged == 40)
            // The registry is shared with any other broker in this process: at least ours.
            #expect(Self.sample(registry.emitToBuffer(), "broker_connects_total") - connectsBefore >= 10)
            #expect(Self.sample(registry.emitToBuffer(), #"broker_messages_received_total{qos="1"}"#) - messagesBefore >= 40)
            #expect(summary.passed, "\(summary.failures)")
        }
    }

    @Test func mutualTLSWithoutACertificateForEveryDeviceIsRefusedUpFront() async throws {
        let directory = try makeCertificates(devices: 2)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = shortRun(port: 1, devices: 3, transport: .mutualTLS(DeviceCertificates(directory: directory)))
        await #expect(throws: LoadTestError.self) { try await DeviceRun(configuration: configuration, logger: quietLogger).run() }
    }

    @Test func runAgainstMosquittoMatchesWhatMosquittoDelivered() async throws {
        let mosquitto = try await Mosquitto(extraConfig: ["max_queued_messages 100000"])
        defer { mosquitto.kill() }
        let counter = try await AttrsCounter(port: mosquitto.port)
        var configuration = shortRun(port: mosquitto.port, devices: 20, messages: 5)
        configuration.qos = .exactlyOnce
        let summary = try await DeviceRun(configuration: configuration, logger: quietLogger).run()
        try await Task.sleep(for: .milliseconds(300))
        let delivered = counter.count
        await counter.stop()
        #expect(summary.connect.succeeded == 20)
        #expect(summary.publish.sent == 100 && summary.publish.acknowledged == 100)
        #expect(delivered == 100)
        #expect(summary.passed, "\(summary.failures)")
    }

    @Test func brokerProcessMetricsMatchTheLoadTestCounts() async throws {
        let broker = try await BrokerProcess()
        defer { broker.stop() }
        let summary = try await DeviceRun(configuration: shortRun(port: broker.mqttPort, devices: 15, messages: 4), logger: quietLogger).run()
        #expect(summary.connect.succeeded == 15)
        #expect(summary.publish.sent == 60 && summary.publish.acknowledged == 60)
        #expect(try await broker.metric("broker_connects_total") == 15)
        #expect(try await broker.metric(#"broker_messages_received_total{qos="1"}"#) == 60)
        #expect(try await broker.metric(#"broker_packets_sent_total{type="puback"}"#) == 60)
        #expect(try await broker.metric(#"broker_packets_received_total{type="subscribe"}"#) == 15)
        #expect(try await broker.metric(#"broker_packets_received_total{type="disconnect"}"#) == 15)
    }

    static func sample(_ bytes: [UInt8], _ name: String) -> Double {
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1)) ?? 0
        }
        return 0
    }
}
