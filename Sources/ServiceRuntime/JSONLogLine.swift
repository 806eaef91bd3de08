import JSONBytes
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Encodes one log event as one line of JSON:
/// `{"timestamp":"2026-01-02T03:04:05.678Z","level":"info","label":"broker","message":"...",<metadata>}`.
/// Metadata keys sit beside the fixed fields; one that would collide with a fixed field is written
/// as `metadata.<key>`. Nested metadata becomes JSON objects and arrays.
enum JSONLogLine {
    static func encode(
        timestamp: Timestamp,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata,
        error: (any Error)?
    ) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(128 + message.utf8.count)
        line.append(UInt8(ascii: "{"))
        appendKey("timestamp", to: &line, first: true)
        line.append(UInt8(ascii: "\""))
        timestamp.appendISO8601(to: &line)
        line.append(UInt8(ascii: "\""))
        appendKey("level", to: &line)
        JSONString.append(level.rawValue, to: &line)
        appendKey("label", to: &line)
        JSONString.append(label, to: &line)
        appendKey("message", to: &line)
        JSONString.append(message, to: &line)
        if let error {
            appendKey("error", to: &line)
            JSONString.append(String(describing: error), to: &line)
        }
        for key in metadata.keys.sorted() {
            let isReserved = fixedKeys.contains(key) || (error != nil && key == "error")
            appendKey(isReserved ? "metadata." + key : key, to: &line)
            appendValue(metadata[key]!, to: &line)
        }
        line.append(UInt8(ascii: "}"))
        line.append(UInt8(ascii: "\n"))
        return line
    }

    private static let fixedKeys: Set<String> = ["timestamp", "level", "label", "message"]

    private static func appendKey(_ key: String, to line: inout [UInt8], first: Bool = false) {
        if !first { line.append(UInt8(ascii: ",")) }
        JSONString.append(key, to: &line)
        line.append(UInt8(ascii: ":"))
    }

    private static func appendValue(_ value: Logger.MetadataValue, to line: inout [UInt8]) {
        switch value {
        case .string(let string):
            JSONString.append(string, to: &line)
        case .stringConvertible(let convertible):
            JSONString.append(convertible.description, to: &line)
        case .array(let values):
            JSONString.appendArray(values, to: &line) { element, line in appendValue(element, to: &line) }
        case .dictionary(let dictionary):
            line.append(UInt8(ascii: "{"))
            for (index, key) in dictionary.keys.sorted().enumerated() {
                appendKey(key, to: &line, first: index == 0)
                appendValue(dictionary[key]!, to: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
    }

    /// A wall-clock instant with millisecond precision, formatted without Foundation's
    /// formatters (they are slow and take locks).
    struct Timestamp: Sendable, Hashable {
        var secondsSinceEpoch: Int
        var milliseconds: Int

        static func now() -> Timestamp {
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            return Timestamp(secondsSinceEpoch: Int(spec.tv_sec), milliseconds: Int(spec.tv_nsec) / 1_000_000)
        }

        /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC.
        func appendISO8601(to line: inout [UInt8]) {
            var seconds = time_t(secondsSinceEpoch)
            var parts = tm()
            gmtime_r(&seconds, &parts)
            appendDigits(Int(parts.tm_year) + 1900, count: 4, to: &line)
            line.append(UInt8(ascii: "-"))
            appendDigits(Int(parts.tm_mon) + 1, count: 2, to: &line)
            line.append(UInt8(ascii: "-"))
            appendDigits(Int(parts.tm_mday), count: 2, to: &line)
            line.append(UInt8(ascii: "T"))
            appendDigits(Int(parts.tm_hour), count: 2, to: &line)
            line.append(UInt8(ascii: ":"))
            appendDigits(Int(parts.tm_min), count: 2, to: &line)
            line.append(UInt8(ascii: ":"))
            appendDigits(Int(parts.tm_sec), count: 2, to: &line)
            line.append(UInt8(ascii: "."))
            appendDigits(milliseconds, count: 3, to: &line)
            line.append(UInt8(ascii: "Z"))
        }

        private func appendDigits(_ value: Int, count: Int, to line: inout [UInt8]) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                line.append(UInt8(ascii: "0") + UInt8((rest / divisor) % 10))
                rest %= divisor
                divisor /= 10
            }
        }
    }
}
