public struct TimedOut: Error, CustomStringConvertible {
    public let what: String
    public let timeout: Duration
    public init(what: String, timeout: Duration) {
        self.what = what
        self.timeout = timeout
    }
    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}

/// Polls `check` every `every` until it returns a value, or throws ``TimedOut`` after `timeout`.
/// `check` returns nil for "not yet" (a condition: `{ condition ? true : nil }`).
@discardableResult
public func eventually<Value>(
    _ what: String, timeout: Duration = .seconds(15), every: Duration = .milliseconds(50), _ check: () async throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await check() { return value }
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what, timeout: timeout) }
        try await Task.sleep(for: every)
    }
}

/// A test failure with a message (a helper that cannot go on).
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A name no other test uses (topics, groups, client ids).
public func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
}
