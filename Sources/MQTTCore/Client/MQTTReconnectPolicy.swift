import NIOCore

/// When and how often a client reconnects after it lost a connection it had: capped exponential
/// backoff with proportional jitter, so a fleet of clients does not return in lockstep.
public struct MQTTReconnectPolicy: Sendable, Hashable {
    public var enabled: Bool
    public var initialDelay: TimeAmount
    public var maxDelay: TimeAmount
    public var multiplier: Double
    /// Each delay is spread uniformly over ±`jitter` of itself (0...1).
    public var jitter: Double

    public init(
        enabled: Bool = true,
        initialDelay: TimeAmount = .milliseconds(500),
        maxDelay: TimeAmount = .seconds(30),
        multiplier: Double = 2,
        jitter: Double = 0.2
    ) {
        precondition(initialDelay.nanoseconds > 0 && maxDelay >= initialDelay, "0 < initialDelay <= maxDelay")
        precondition(multiplier >= 1 && (0...1).contains(jitter), "multiplier >= 1, 0 <= jitter <= 1")
        self.enabled = enabled
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
    }

    public static let disabled = MQTTReconnectPolicy(enabled: false)

    /// The delay before reconnect attempt `attempt` (0 for the first one after a loss).
    public func delay(attempt: Int, random: Double = .random(in: 0...1)) -> TimeAmount {
        let cap = Double(self.maxDelay.nanoseconds)
        var capped = Double(self.initialDelay.nanoseconds)
        for _ in 0..<max(attempt, 0) where capped < cap { capped *= self.multiplier }
        capped = min(capped, cap)
        let spread = capped * (1 + self.jitter * (2 * random - 1))
        return .nanoseconds(Int64(max(spread, 1)))
    }
}
