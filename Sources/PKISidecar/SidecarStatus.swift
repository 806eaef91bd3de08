import Foundation
import NIOConcurrencyHelpers

/// What the health endpoint reports; written by the maintenance loop, read by HTTP requests.
public final class SidecarStatus: Sendable {
    public struct Snapshot: Sendable, Encodable {
        public var certificateNotAfter: Date?
        public var certificateSerial: String?
        public var lastSuccess: Date?
        public var lastCRLRefresh: Date?
        public var consecutiveFailures = 0
        public var lastError: String?
        public var renewals = 0
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
