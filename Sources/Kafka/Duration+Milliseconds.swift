extension Duration {
    /// Whole milliseconds, for librdkafka's `int timeout_ms` arguments.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
