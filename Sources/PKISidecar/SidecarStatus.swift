import Foundation
import NIOConcurrencyHelpers

/// The sidecar's state for `/ready` and tests; written by the sidecar, read from any thread.
public final class SidecarStatus: Sendable {
    public struct Snapshot: Sendable {
        public var certificateNotAfter: Date?
        /// PKI failures since the last success of the maintenance loop.
        public var consecutiveFailures = 0
        /// Certificates obtained, the first one included.
        public var enrolments = 0
    }

    private let state = NIOLockedValueBox(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLockedValue { $0 } }

    func update(_ change: (inout Snapshot) -> Void) {
        state.withLockedValue { change(&$0) }
    }

    /// Ready: a certificate is in place and not expired.
    public func isReady(now: Date = Date()) -> Bool {
        snapshot.certificateNotAfter.map { $0 > now } ?? false
    }
}
