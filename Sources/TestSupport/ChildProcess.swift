import Foundation
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A child started through swift-subprocess, which gives it default signal handling and an empty
/// signal mask (Foundation's `Process` starts children with SIGTERM blocked here). It runs until it
/// exits or a test signals it; the `run` body that started it reads standard output and standard
/// error as they come (to a file, to memory, to a handler or nowhere: ``Destination``) and so learns
/// of the exit; signals go through its `Execution` only while that body runs. Whoever drops the
/// last reference to a child still running kills it (SIGKILL), so a failing test leaves none behind.
public final class ChildProcess: Sendable {
    /// Where one of the child's output streams goes.
    public enum Destination: Sendable {
        case discarded
        /// Appended to this file (created when missing).
        case file(String)
        /// Kept in memory: ``standardOutput`` / ``standardError``.
        case captured
        /// Handed over chunk by chunk as it is read (for reading a stream while the child runs).
        case handler(@Sendable ([UInt8]) -> Void)
    }

    private let running: Running
    /// The file standard output goes to, if any.
    public let logFile: String?

    private init(running: Running, logFile: String?) {
        self.running = running
        self.logFile = logFile
    }

    /// Starts `path` with `arguments`, the test's environment updated with `environment`, and
    /// `input` written to its standard input (then closed). Standard error goes where standard
    /// output goes unless `error` says otherwise.
    public static func spawn(
        _ path: String, _ arguments: [String] = [], environment: [String: String] = [:], input: String? = nil,
        output: Destination = .discarded, error: Destination? = nil
    ) async throws -> ChildProcess {
        let standardOutput = try Sink(output)
        let standardError = try error.map(Sink.init) ?? standardOutput
        let running = Running(standardOutput: standardOutput, standardError: standardError)
        try await running.launch(
            Configuration(
                executable: .path(FilePath(path)), arguments: Arguments(arguments),
                environment: .inherit.updating(environment.reduce(into: [Environment.Key: String?]()) { $0[Environment.Key(rawValue: $1.key)!] = $1.value })
            ),
            input: input
        )
        if case .file(let path) = output { return ChildProcess(running: running, logFile: path) }
        return ChildProcess(running: running, logFile: nil)
    }

    /// `spawn` with both output streams appended to `logFile` (or discarded).
    public static func spawn(
        _ path: String, _ arguments: [String] = [], environment: [String: String] = [:], logFile: String?
    ) async throws -> ChildProcess {
        try await spawn(path, arguments, environment: environment, output: logFile.map { .file($0) } ?? .discarded)
    }

    /// A fresh log file path in the temporary directory, named after `name`.
    public static func temporaryLogFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8)).log").path
    }

    public var pid: pid_t { self.running.state.withLock { $0.pid } }

    /// The exit status once the child has exited (nil while it runs; 128+n after signal n).
    public var exitStatus: Int32? { self.running.state.withLock { $0.status } }

    public var hasExited: Bool { self.exitStatus != nil }

    /// Sends `signal` while the child runs (nothing once it has exited).
    public func signal(_ signal: Int32) { self.running.send(signal) }

    /// SIGKILL now, without waiting (for `defer`); the child is reaped in the background.
    public func kill() { self.running.send(SIGKILL) }

    /// The exit status if the child exits within `timeout`, else nil (it keeps running).
    public func exit(within timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = self.exitStatus { return status }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for the exit; after `timeout` stops the child and throws.
    public func wait(timeout: Duration) async throws -> Int32 {
        if let status = await self.exit(within: timeout) { return status }
        await self.stop()
        throw ChildProcessError("process \(self.pid) did not exit within \(timeout)")
    }

    /// The exit status if the child exits within `timeout`; else ``stop()`` and its status (for
    /// programs that run to their end).
    public func finish(within timeout: Duration) async -> Int32 {
        if let status = await self.exit(within: timeout) { return status }
        return await self.stop()
    }

    /// Sends `signal`, waits for the exit (at most `timeout`), then SIGKILL. Returns the exit
    /// status (-1 if the child outlived even SIGKILL for ten seconds).
    @discardableResult
    public func stop(_ signal: Int32 = SIGTERM, timeout: Duration = .seconds(15)) async -> Int32 {
        self.signal(signal)
        if let status = await self.exit(within: timeout) { return status }
        self.kill()
        return await self.exit(within: .seconds(10)) ?? -1
    }

    /// What the child wrote to standard output so far: the captured bytes or the log file.
    public var standardOutput: String { self.running.standardOutput.contents }
    /// What the child wrote to standard error so far (the same as ``standardOutput`` when merged).
    public var standardError: String { self.running.standardError.contents }
    /// The log file's contents ("" without one).
    public var log: String { self.logFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? "" }

    deinit { self.kill() }
}

/// The state shared by the handle and the task that runs the child (which does not hold the
/// handle, so that dropping the handle can end the child).
private final class Running: Sendable {
    typealias RunningExecution = Execution<CustomWriteInput, SequenceOutput, SequenceOutput>

    struct State: Sendable {
        var pid: pid_t = 0
        /// Set while the body reads the child's output: valid for signals until then.
        var execution: RunningExecution?
        var status: Int32?
    }

    let state = Mutex(State())
    let standardOutput: Sink
    let standardError: Sink

    init(standardOutput: Sink, standardError: Sink) {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    func send(_ signal: Int32) {
        self.state.withLock { state in _ = try? state.execution?.send(signal: Signal(rawValue: signal)) }
    }

    /// Returns once the child runs (or throws when it could not be started); the task that
    /// started it reads its output until it exits and then records the exit status.
    func launch(_ configuration: Configuration, input: String?) async throws {
        let started = Started()
        let running = self
        try await withCheckedThrowingContinuation { continuation in
            started.set(continuation)
            Task {
                do {
                    let result = try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: .sequence) { execution in
                        running.state.withLock {
                            $0.pid = execution.processIdentifier.value
                            $0.execution = execution
                        }
                        started.resume(with: .success(()))
                        if let input { _ = try? await execution.standardInputWriter.write(input) }
                        try? await execution.standardInputWriter.finish()
                        await withTaskGroup(of: Void.self) { group in
                            group.addTask { await running.standardOutput.drain(execution.standardOutput) }
                            group.addTask { await running.standardError.drain(execution.standardError) }
                        }
                        running.state.withLock { $0.execution = nil }
                    }
                    let status: Int32 =
                        switch result.terminationStatus {
                        case .exited(let code): code
                        case .signaled(let signal): 128 + signal
                        }
                    running.state.withLock { $0.status = status }
                } catch {
                    running.state.withLock {
                        $0.execution = nil
                        $0.status = $0.status ?? -1
                    }
                    started.resume(with: .failure(error))
                }
            }
        }
    }
}

/// The continuation `launch` waits on, resumed once: when the child runs or could not start.
private final class Started: Sendable {
    private let continuation = Mutex<CheckedContinuation<Void, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<Void, any Error>) { self.continuation.withLock { $0 = continuation } }
    func resume(with result: Result<Void, any Error>) { self.continuation.withLock { $0.take()?.resume(with: result) } }
}

/// One output stream's destination; both streams may share one (merged into one file).
private final class Sink: Sendable {
    private let destination: ChildProcess.Destination
    private let sink = Mutex<(file: FileHandle?, bytes: [UInt8])>((nil, []))

    init(_ destination: ChildProcess.Destination) throws {
        self.destination = destination
        if case .file(let path) = destination {
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw ChildProcessError("cannot write \(path)") }
            handle.seekToEndOfFile()
            self.sink.withLock { $0.file = handle }
        }
    }

    deinit { self.sink.withLock { try? $0.file?.close() } }

    func drain(_ stream: SubprocessOutputSequence) async {
        do {
            for try await chunk in stream {
                let bytes = chunk.withUnsafeBytes { Array($0) }
                switch self.destination {
                case .discarded: continue
                case .file: self.sink.withLock { $0.file?.write(Data(bytes)) }
                case .captured: self.sink.withLock { $0.bytes += bytes }
                case .handler(let handle): handle(bytes)
                }
            }
        } catch {
            // The stream ends with an error when the child is gone and its pipe was cancelled.
        }
    }

    var contents: String {
        switch self.destination {
        case .discarded, .handler: ""
        case .file(let path): (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        case .captured: self.sink.withLock { String(decoding: $0.bytes, as: UTF8.self) }
        }
    }
}

/// The executables built next to the test bundle (`swift build --build-tests` builds them all).
public enum BuiltProducts {
    public static func path(_ name: String) throws -> String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path,
            Bundle.main.bundleURL.appendingPathComponent(name).path,
            FileManager.default.currentDirectoryPath + "/.build/debug/\(name)",
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ChildProcessError("executable \(name) not found in \(candidates); run swift build --build-tests first")
        }
        return found
    }
}
