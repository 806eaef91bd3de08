import Foundation

/// `@unchecked Sendable`: Process is thread-safe for what is used here (terminate, isRunning,
/// status after exit), but is not marked Sendable.
struct RunningProcess: @unchecked Sendable {
    let process: Process
}

enum ProcessRunner {
    struct Output {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// Runs a program to its end with `input` on its standard input; kills it after `timeout`.
    /// Output goes through temporary files, so a chatty program never blocks on a full pipe.
    static func run(_ executable: String, _ arguments: [String], input: String? = nil, timeout: Duration = .seconds(15)) async throws -> Output {
        let directory = FileManager.default.temporaryDirectory
        let outURL = directory.appendingPathComponent("kafka-tests-\(UUID().uuidString).out")
        let errURL = directory.appendingPathComponent("kafka-tests-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let stdin = Pipe()
        process.standardInput = stdin
        let running = RunningProcess(process: process)
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
            try? stdin.fileHandleForWriting.close()
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000))) {
                if running.process.isRunning { running.process.terminate() }
            }
        }
        return Output(
            status: status,
            standardOutput: try String(contentsOf: outURL, encoding: .utf8),
            standardError: try String(contentsOf: errURL, encoding: .utf8)
        )
    }
}

enum Kcat {
    static let path = "/usr/bin/kcat"

    /// Produces `lines` of the form `KEY VALUE`.
    static func produce(bootstrap: String, topic: String, lines: [String]) async throws {
        let output = try await ProcessRunner.run(path, ["-b", bootstrap, "-P", "-t", topic, "-K", " "], input: lines.joined(separator: "\n") + "\n")
        guard output.status == 0 else { throw KcatFailed(output: output) }
    }

    /// Every record of `topic` as `KEY VALUE` lines (or another kcat `-f` format), partition by partition.
    static func consume(bootstrap: String, topic: String, format: String = "%k %s\n") async throws -> [String] {
        let output = try await ProcessRunner.run(path, ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-f", format])
        guard output.status == 0 else { throw KcatFailed(output: output) }
        return output.standardOutput.split(separator: "\n").map(String.init)
    }

    /// The partition count kcat's metadata listing shows for `topic`.
    static func partitionCount(bootstrap: String, topic: String) async throws -> Int {
        let output = try await ProcessRunner.run(path, ["-b", bootstrap, "-L", "-t", topic, "-J"])
        guard output.status == 0 else { throw KcatFailed(output: output) }
        return output.standardOutput.components(separatedBy: "\"partition\":").count - 1
    }
}

struct KcatFailed: Error, CustomStringConvertible {
    let output: ProcessRunner.Output
    var description: String { "kcat exited with \(output.status): \(output.standardError)" }
}
