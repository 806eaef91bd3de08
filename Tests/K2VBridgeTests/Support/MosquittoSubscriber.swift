import Foundation
import TestSupport

/// `mosquitto_sub` as a device on the plain listener; `output()` waits for it to exit after
/// `count` messages.
struct MosquittoSubscriber {
    let process: ChildProcess

    static func start(port: Int, device: String, count: Int) async throws -> MosquittoSubscriber {
        let process = try await ChildProcess.spawn(
            "/usr/bin/mosquitto_sub",
            [
                "-h", "127.0.0.1", "-p", "\(port)", "-u", device, "-i", device, "-t", "\(device)/config", "-q", "1", "-C", "\(count)",
            ], output: .captured)
        return MosquittoSubscriber(process: process)
    }

    func output(timeout: Duration) async throws -> String {
        _ = try await eventually("mosquitto_sub to receive its messages", timeout: timeout) { process.hasExited ? true : nil }
        return process.standardOutput
    }
}
