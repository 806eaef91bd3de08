import Logging
import NIOConcurrencyHelpers
import NIOCore
import UnixSignals

/// Watches the TLS files (every `interval`, and at once on SIGHUP) and, when they change, builds
/// new TLS material off the event loops and puts it in force for new connections. A file that
/// cannot be used is logged and counted and the previous material stays: nobody is locked out
/// by a bad download. When the new CRL revokes a connected client's certificate, that
/// connection is closed at once.
final class TLSReloader: Sendable {
    private let files: BrokerConfiguration.TLSFiles
    private let interval: Duration
    private let material: NIOLockedValueBox<TLSMaterial?>
    private let connections: ConnectionTracker
    private let metrics: BrokerMetrics
    private let logger: Logger
    private let stopped = NIOLockedValueBox(false)
    /// The contents that failed last, so that a bad file is reported once, not every poll.
    private let lastRejected = NIOLockedValueBox<TLSFileContents?>(nil)

    init(files: BrokerConfiguration.TLSFiles, interval: Duration, material: NIOLockedValueBox<TLSMaterial?>,
         connections: ConnectionTracker, metrics: BrokerMetrics, logger: Logger) {
        self.files = files
        self.interval = interval
        self.material = material
        self.connections = connections
        self.metrics = metrics
        self.logger = logger
    }

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !self.stopped.withLockedValue({ $0 }) {
                    try? await Task.sleep(for: self.interval)
                    self.reloadIfChanged(reason: "file change")
                }
            }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    if self.stopped.withLockedValue({ $0 }) { break }
                    self.reloadIfChanged(reason: "SIGHUP", force: true)
                }
            }
            while !self.stopped.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(100)) }
            group.cancelAll()
        }
    }

    func stop() {
        self.stopped.withLockedValue { $0 = true }
    }

    func reloadIfChanged(reason: String, force: Bool = false) {
        guard let current = self.material.withLockedValue({ $0 }) else { return }
        let contents: TLSFileContents
        do { contents = try TLSFileContents.read(self.files) } catch {
            self.reject(nil, error)
            return
        }
        guard force || contents != current.contents else { return }
        if !force, self.lastRejected.withLockedValue({ $0 }) == contents { return }
        let fresh: TLSMaterial
        do { fresh = try TLSMaterial.build(self.files, contents: contents) } catch {
            self.reject(contents, error)
            return
        }
        self.material.withLockedValue { $0 = fresh }
        self.lastRejected.withLockedValue { $0 = nil }
        self.metrics.tlsReloads.increment()
        self.logger.info("TLS files reloaded", metadata: [
            "reason": "\(reason)", "revoked_serials": "\(fresh.revokedSerials.count)",
            "certificate_not_after": "\(fresh.certificateNotAfter)",
        ])
        for (channel, serial) in self.connections.clients(withSerialIn: fresh.revokedSerials) {
            self.metrics.revocationCloses.increment()
            self.logger.warning("closing a connection whose certificate is now revoked", metadata: ["serial": "\(serial)"])
            channel.close(promise: nil)
        }
    }

    private func reject(_ contents: TLSFileContents?, _ error: TLSMaterialError) {
        let repeated = contents != nil && self.lastRejected.withLockedValue { $0 } == contents
        self.lastRejected.withLockedValue { $0 = contents }
        guard !repeated else { return }
        self.metrics.tlsReloadFailures.increment()
        self.logger.error("TLS files not reloaded; the previous ones stay in force", metadata: ["problem": "\(error)"])
    }
}
