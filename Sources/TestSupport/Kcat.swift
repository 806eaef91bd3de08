import Foundation

/// `kcat` (Debian) as an independent Kafka client in tests.
public enum Kcat {
    public static let path = "/usr/bin/kcat"

    /// Produces `lines` of the form `KEY<keyDelimiter>VALUE` (keyed: one key's records share a partition).
    public static func produce(bootstrap: String, topic: String, keyDelimiter: String = " ", lines: [String]) async throws {
        let output = try await ProcessRunner.run(
            path, ["-b", bootstrap, "-P", "-t", topic, "-K", keyDelimiter], input: lines.joined(separator: "\n") + "\n")
        guard output.status == 0 else { throw KcatFailed(output: output) }
    }

    /// Every record of `topic` as `KEY VALUE` lines (or another kcat `-f` format), partition by partition.
    public static func consume(bootstrap: String, topic: String, format: String = "%k %s\n") async throws -> [String] {
        let output = try await ProcessRunner.run(path, ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", format])
        guard output.status == 0 else { throw KcatFailed(output: output) }
        return output.standardOutput.split(separator: "\n").map(String.init)
    }

    /// The partition count kcat's metadata listing shows for `topic`.
    public static func partitionCount(bootstrap: String, topic: String) async throws -> Int {
        let output = try await ProcessRunner.run(path, ["-b", bootstrap, "-L", "-t", topic, "-J"])
        guard output.status == 0 else { throw KcatFailed(output: output) }
        return output.standardOutput.components(separatedBy: "\"partition\":").count - 1
    }
}

public struct KcatFailed: Error, CustomStringConvertible {
    public let output: ProcessRunner.Output
    public var description: String { "kcat exited with \(output.status): \(output.standardError)" }
}
