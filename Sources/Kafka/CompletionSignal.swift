import NIOConcurrencyHelpers

/// Fires once; any number of tasks can wait for it, before or after it fires.
final class CompletionSignal: Sendable {
    private struct State {
        var isComplete = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = NIOLockedValueBox(State())

    var isComplete: Bool { state.withLockedValue { $0.isComplete } }

    func complete() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            guard !state.isComplete else { return [] }
            state.isComplete = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyComplete = state.withLockedValue { state -> Bool in
                if !state.isComplete { state.waiters.append(continuation) }
                return state.isComplete
            }
            if alreadyComplete { continuation.resume() }
        }
    }
}
