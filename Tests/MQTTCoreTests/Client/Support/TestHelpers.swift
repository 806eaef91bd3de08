import Foundation
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import TestSupport

/// Runs `body`, failing when it takes longer than `seconds`: every test stays bounded, even when
/// the body waits on something that ignores cancellation (an `EventLoopFuture`).
func withTimeout<T: Sendable>(
    _ seconds: Double = 20, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = NIOLockedValueBox<CheckedContinuation<T, any Error>?>(nil)
    return try await withCheckedThrowingContinuation { continuation in
        outcome.withLockedValue { $0 = continuation }
        @Sendable func finish(_ result: Result<T, any Error>) {
            outcome.withLockedValue { pending in
                pending?.resume(with: result)
                pending = nil
            }
        }
        let work = Task { finish(await Result(catching: body)) }
        Task {
            try? await Task.sleep(for: .seconds(seconds))
            work.cancel()
            finish(.failure(TestFailure("timed out after \(seconds) s")))
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// Collects a client's inbound messages on a task of its own, for waiting with a deadline. It
/// starts consuming `messages` at its first use; until then they wait in the client's buffer.
final class Inbox: Sendable {
    private let client: MQTTClient
    private let received = NIOLockedValueBox<[MQTTInboundMessage]>([])
    private let consumer = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(_ client: MQTTClient) {
        self.client = client
    }

    deinit { self.consumer.withLockedValue { $0?.cancel() } }

    private func startConsuming() {
        self.consumer.withLockedValue { consumer in
            guard consumer == nil else { return }
            let (client, received) = (self.client, self.received)
            consumer = Task {
                for await message in client.messages {
                    received.withLockedValue { $0.append(message) }
                }
            }
        }
    }

    /// The next message, or an error after `timeout`.
    func next(timeout: Duration = .seconds(5)) async throws -> MQTTInboundMessage {
        self.startConsuming()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let message = self.received.withLockedValue({ $0.isEmpty ? nil : $0.removeFirst() }) {
                return message
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("no message within \(timeout)")
    }

    /// Nil when nothing arrives within `duration`, for checking that something does not come.
    func nothing(within duration: Duration) async throws -> MQTTInboundMessage? {
        self.startConsuming()
        try await Task.sleep(for: duration)
        return self.received.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

/// Collects connection events.
final class EventLog: Sendable {
    private let events = NIOLockedValueBox<[MQTTConnectionEvent]>([])
    private let consumer: Task<Void, Never>

    init(_ client: MQTTClient) {
        let events = self.events
        let stream = client.connectionEvents()
        self.consumer = Task {
            for await event in stream { events.withLockedValue { $0.append(event) } }
        }
    }

    deinit { self.consumer.cancel() }

    var all: [MQTTConnectionEvent] { self.events.withLockedValue { $0 } }

    /// Waits for an event that `matches`, and returns it.
    func wait(
        timeout: Duration = .seconds(5), for matches: @escaping @Sendable (MQTTConnectionEvent) -> Bool
    ) async throws -> MQTTConnectionEvent {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let event = self.events.withLockedValue({ $0.first(where: matches) }) { return event }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("no matching connection event within \(timeout); saw \(self.all)")
    }
}

extension MQTTClientConfiguration {
    static func test(_ broker: Mosquitto, clientID: String = "client-\(UUID().uuidString.prefix(8))") -> Self {
        MQTTClientConfiguration(
            host: "127.0.0.1", port: broker.port, clientID: clientID,
            reconnect: .disabled, connectTimeout: .seconds(5)
        )
    }
}

extension ByteBuffer {
    var string: String { String(buffer: self) }
}

/// Runs a command line tool to its end, with a deadline, and returns its standard output.
@discardableResult
func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(10)) async throws -> String {
    let process = try await ChildProcess.spawn(executable, arguments, output: .captured, error: .discarded)
    guard let status = await process.exit(within: timeout) else {
        await process.stop()
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish in \(timeout)")
    }
    guard status == 0 else {
        throw TestFailure("\(executable) exited with \(status)")
    }
    return process.standardOutput
}
