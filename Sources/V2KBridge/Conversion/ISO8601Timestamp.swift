/// ISO 8601 / RFC 3339 date-times to milliseconds since the epoch, from bytes, without Foundation.
///
/// Accepted: `YYYY-MM-DD`, optionally followed by `T` (or `t`, or a space) and `hh:mm`,
/// `hh:mm:ss` or `hh:mm:ss.fraction` (`.` or `,`; digits past milliseconds are truncated), and a
/// zone `Z`, `±hh`, `±hhmm` or `±hh:mm`. Without a zone the time is taken as UTC (a server has no
/// meaningful local time for a device). Field ranges are checked (month, day of that month, hour
/// 0-23, minute 0-59, second 0-59).
public enum ISO8601Timestamp {
    public static func milliseconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { milliseconds(UnsafeRawBufferPointer($0)) }
    }

    public static func milliseconds(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(digits: 4), reader.expect("-"),
            let month = reader.number(digits: 2), reader.expect("-"),
            let day = reader.number(digits: 2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var millisecondOfDay: Int64 = 0
        var offsetMinutes: Int64 = 0
        if !reader.atEnd {
            guard reader.expectOneOf("T", "t", " "),
                let hour = reader.number(digits: 2), reader.expect(":"),
                let minute = reader.number(digits: 2),
                hour < 24, minute < 60
            else { return nil }
            var second: Int64 = 0
            var millisecond: Int64 = 0
            if reader.expect(":") {
                guard let value = reader.number(digits: 2), value < 60 else { return nil }
                second = value
                if reader.expectOneOf(".", ",") {
                    guard let fraction = reader.fractionMilliseconds() else { return nil }
                    millisecond = fraction
                }
            }
            millisecondOfDay = ((hour * 60 + minute) * 60 + second) * 1000 + millisecond
            if !reader.atEnd {
                guard let offset = reader.zoneOffsetMinutes() else { return nil }
                offsetMinutes = offset
            }
        }
        guard reader.atEnd else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return days * 86_400_000 + millisecondOfDay - offsetMinutes * 60_000
    }

    /// Howard Hinnant's `days_from_civil` (proleptic Gregorian calendar).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

private struct DigitReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    var atEnd: Bool { index == bytes.count }

    mutating func number(digits: Int) -> Int64? {
        guard index + digits <= bytes.count else { return nil }
        var value: Int64 = 0
        for offset in 0..<digits {
            let byte = bytes[index + offset]
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        index += digits
        return value
    }

    mutating func expect(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    mutating func expectOneOf(_ characters: Unicode.Scalar...) -> Bool {
        characters.contains { expect($0) }
    }

    /// One or more digits; the first three are milliseconds.
    mutating func fractionMilliseconds() -> Int64? {
        var value: Int64 = 0
        var count = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            if count < 3 { value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
            count += 1
            index += 1
        }
        guard count > 0 else { return nil }
        for _ in count..<max(count, 3) { value *= 10 }
        return value
    }

    /// `Z`, `±hh`, `±hhmm` or `±hh:mm`, as minutes east of UTC.
    mutating func zoneOffsetMinutes() -> Int64? {
        if expectOneOf("Z", "z") { return 0 }
        let sign: Int64
        if expect("+") {
            sign = 1
        } else if expect("-") {
            sign = -1
        } else {
            return nil
        }
        guard let hours = number(digits: 2), hours < 24 else { return nil }
        var minutes: Int64 = 0
        if !atEnd {
            _ = expect(":")
            guard let value = number(digits: 2), value < 60 else { return nil }
            minutes = value
        }
        return sign * (hours * 60 + minutes)
    }
}
