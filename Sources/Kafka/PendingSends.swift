import NIOConcurrencyHelpers

/// The continuations of `KafkaProducer.send` calls waiting for their delivery reports.
///
/// `send` shares the delivery-report path with `produce`: its tokens have the top bit set
/// (application tokens must not), and the poll thread routes those reports here instead of to
/// the application's handler.
final class PendingSends: Sendable {
    typealias Continuation = CheckedContinuation<Result<DeliveredRecord, KafkaError>, Never>

    static let tokenFlag: UInt64 = 1 << 63

    private struct State {
        var nextToken: UInt64 = 0
        var waiting: [UInt64: Continuation] = [:]
    }

    private let state = NIOLockedValueBox(State())

    static func isSendToken(_ token: UInt64) -> Bool {
        token & tokenFlag != 0
    }

    func register(_ continuation: Continuation) -> UInt64 {
        state.withLockedValue { state in
            let token = Self.tokenFlag | state.nextToken
            state.nextToken = (state.nextToken + 1) & ~Self.tokenFlag
            state.waiting[token] = continuation
            return token
        }
    }

    func complete(_ token: UInt64, with result: Result<DeliveredRecord, KafkaError>) {
        state.withLockedValue { $0.waiting.removeValue(forKey: token) }?.resume(returning: result)
    }

    /// Fails every waiting send (after shutdown, when no report can come any more).
    func failAll(with error: KafkaError) {
        let waiting = state.withLockedValue { state in
            defer { state.waiting = [:] }
            return state.waiting
        }
        for continuation in waiting.values { continuation.resume(returning: .failure(error)) }
    }
}
