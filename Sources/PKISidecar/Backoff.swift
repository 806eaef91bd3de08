/// Capped exponential backoff: 1 s, 2 s, 4 s ... up to `maximum`.
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration

    func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        let exponent = min(failures - 1, 30)
        let delay = initial * (1 << exponent)
        return min(delay, maximum)
    }
}
