import NIOConcurrencyHelpers
import UnixSignals

/// When configuration files are looked at again: every `interval`, and at once on SIGHUP (the
/// operator's "reload now"). Shared by the TLS files and the acl-file.
final class ReloadTriggers: Sendable {
    enum Reason: String, Sendable {
        case poll = "file change"
        case signal = "SIGHUP"
    }

    private let interval: Duration
    private let stopped = NIOLockedValueBox(false)

    init(interval: Duration) {
        self.interval = interval
    }

    /// Calls `body` on each trigger until `stop()`.
    func run(_ body: @escaping @Sendable (Reason) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !self.isStopped {
                    try? await Task.sleep(for: self.interval)
                    if !self.isStopped { body(.poll) }
                }
            }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    if self.isStopped { break }
                    body(.signal)
                }
            }
            while !self.isStopped { try? await Task.sleep(for: .milliseconds(100)) }
            group.cancelAll()
        }
    }

    func stop() {
        self.stopped.withLockedValue { $0 = true }
    }

    private var isStopped: Bool { self.stopped.withLockedValue { $0 } }
}
