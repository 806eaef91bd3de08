import Foundation
import Logging
import MQTTAuthorization
import NIOConcurrencyHelpers

/// Watches the acl-file (every `interval`, and on SIGHUP). A changed file that parses replaces the
/// rules for new connections, and every open connection re-checks its rights and subscriptions;
/// one that does not parse is logged and counted, and the rules in force stay.
final class ACLFileReloader: Sendable {
    private let path: String
    private let authorizer: ReloadableAuthorizer
    private let connections: ConnectionTracker
    private let metrics: BrokerMetrics
    private let logger: Logger
    private let triggers: ReloadTriggers
    /// The bytes in force and the bytes refused last (a bad file is reported once).
    private let seen: NIOLockedValueBox<(inForce: Data?, refused: Data?)>

    init(path: String, interval: Duration, authorizer: ReloadableAuthorizer, connections: ConnectionTracker, metrics: BrokerMetrics, logger: Logger) {
        self.path = path
        self.authorizer = authorizer
        self.connections = connections
        self.metrics = metrics
        self.logger = logger
        self.triggers = ReloadTriggers(interval: interval)
        self.seen = NIOLockedValueBox((FileManager.default.contents(atPath: path), nil))
    }

    func run() async {
        await self.triggers.run { reason in self.reloadIfChanged(reason: reason) }
    }

    func stop() {
        self.triggers.stop()
    }

    func reloadIfChanged(reason: ReloadTriggers.Reason) {
        let bytes = FileManager.default.contents(atPath: self.path)
        let (inForce, refused) = self.seen.withLockedValue { $0 }
        guard reason == .signal || bytes != inForce else { return }
        if reason == .poll, bytes == refused { return }
        let fresh: ACLFileAuthorizer
        do {
            fresh = try ACLFileAuthorizer(path: self.path)
        } catch {
            self.seen.withLockedValue { $0.refused = bytes }
            self.metrics.aclReloadFailures.increment()
            self.logger.error("acl-file not reloaded; the rules in force stay", metadata: ["problem": "\(error)"])
            return
        }
        self.authorizer.replace(with: fresh)
        self.seen.withLockedValue { $0 = (bytes, nil) }
        self.metrics.aclReloads.increment()
        for warning in fresh.warnings { self.logger.warning("\(warning)") }
        let (_, clients) = self.connections.listenersAndClients()
        self.logger.info(
            "acl-file reloaded",
            metadata: [
                "file": "\(self.path)", "reason": "\(reason.rawValue)", "rules": "\(fresh.ruleCount)", "connections": "\(clients.count)",
            ])
        for channel in clients { channel.pipeline.fireUserInboundEventTriggered(AuthorizationChanged()) }
    }
}
