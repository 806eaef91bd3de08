import Dispatch
import Foundation

/// Signals delivered as Dispatch events instead of C signal handlers, so that the handlers may do
/// anything (log, call librdkafka).
enum SignalHandlers {
    /// Ignores the signal's default action and runs `handler` on `queue` for each delivery, as
    /// long as the returned source is kept alive.
    static func on(
        _ signalNumber: Int32,
        queue: DispatchQueue,
        _ handler: @escaping @Sendable () -> Void
    ) -> any DispatchSourceSignal {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }
}
