import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Watches the TLS files (every `interval`, and at once on SIGHUP) and, when they change, builds
/// new TLS material off the event loops and puts it in force for new connections. A file that
/// cannot be used is logged and counted and the previous material stays: nobody is locked out
/// by a bad download. When the new CRL revokes a connected client's certificate, that
/// connection is closed at once.
final class TLSReloader: Sendable {
    private let files: BrokerConfiguration.TLSFiles
    private let material: NIOLockedValueBox<TLSMaterial?>
    private let connections: ConnectionTracker
    private let metrics: BrokerMetrics
    private let logger: Logger
    private let triggers: ReloadTriggers
    /// The contents that failed last, so that a bad file is reported once, not every poll.
    private let lastRejected = NIOLockedValueBox<TLSFileContents?>(nil)
    /// The nextUpdate already warned about, so that the warning comes once per CRL.
    private let warnedNextUpdate = NIOLockedValueBox<Date?>(nil)
    /// How long before the CRL's nextUpdate the broker starts warning.
    static let crlWarningLead: TimeInterval = 3600

    init(
        files: BrokerConfiguration.TLSFiles, interval: Duration, material: NIOLockedValueBox<TLSMaterial?>,
        connections: ConnectionTracker, metrics: BrokerMetrics, logger: Logger
    ) {
        self.files = files
        self.triggers = ReloadTriggers(interval: interval)
        self.material = material
        self.connections = connections
        self.metrics = metrics
        self.logger = logger
    }

    func run() async {
        if let current = self.material.withLockedValue({ $0 }) { self.report(current) }
        await self.triggers.run { reason in
            self.reloadIfChanged(reason: reason.rawValue, force: reason == .signal)
        }
    }

    func stop() {
        self.triggers.stop()
    }

    func reloadIfChanged(reason: String, force: Bool = false) {
        guard let current = self.material.withLockedValue({ $0 }) else { return }
        self.warnIfCRLExpiresSoon(current)
        let contents: TLSFileContents
        do { contents = try TLSFileContents.read(self.files) } catch {
            self.reject(nil, error)
            return
        }
        guard force || contents != current.contents else { return }
        if !force, self.lastRejected.withLockedValue({ $0 }) == contents { return }
        let fresh: TLSMaterial
        do { fresh = try TLSMaterial.build(self.files, contents: contents, previous: current) } catch {
            self.reject(contents, error)
            return
        }
        self.material.withLockedValue { $0 = fresh }
        self.lastRejected.withLockedValue { $0 = nil }
        self.metrics.tlsReloads.increment()
        self.report(fresh)
        self.logger.info(
            "TLS files reloaded",
            metadata: [
                "reason": "\(reason)", "revoked_serials": "\(fresh.revokedSerials.count)",
                "certificate_not_after": "\(fresh.certificateNotAfter)",
            ])
        for (channel, serial) in self.connections.clients(withSerialIn: fresh.revokedSerials) {
            self.metrics.revocationCloses.increment()
            self.logger.warning("closing a connection whose certificate is now revoked", metadata: ["serial": "\(serial)"])
            channel.close(promise: nil)
        }
    }

    /// The expiry gauges of the material in force.
    private func report(_ material: TLSMaterial) {
        self.metrics.crlNextUpdate.set(material.crlNextUpdate?.timeIntervalSince1970 ?? 0)
        self.metrics.certificateNotAfter.set(material.certificateNotAfter.timeIntervalSince1970)
    }

    /// A CRL past nextUpdate fails every handshake: say so while the PKI can still be fixed.
    private func warnIfCRLExpiresSoon(_ material: TLSMaterial, now: Date = Date()) {
        guard let nextUpdate = material.crlNextUpdate, nextUpdate.timeIntervalSince(now) < Self.crlWarningLead else { return }
        guard
            self.warnedNextUpdate.withLockedValue({ warned in
                defer { warned = nextUpdate }
                return warned != nextUpdate
            })
        else { return }
        self.logger.warning(
            "the CRL in force passes its nextUpdate soon; after it every TLS handshake fails until a newer CRL is in place",
            metadata: [
                "file": "\(self.files.crl ?? "-")", "next_update": "\(nextUpdate)",
                "seconds_left": "\(Int(nextUpdate.timeIntervalSince(now)))",
            ])
    }

    private func reject(_ contents: TLSFileContents?, _ error: TLSMaterialError) {
        let repeated = contents != nil && self.lastRejected.withLockedValue { $0 } == contents
        self.lastRejected.withLockedValue { $0 = contents }
        guard !repeated else { return }
        self.metrics.tlsReloadFailures.increment()
        self.logger.error("TLS files not reloaded; the previous ones stay in force", metadata: ["problem": "\(error)"])
    }
}
