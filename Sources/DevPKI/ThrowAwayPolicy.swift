/// Which names the throw-away endpoint signs, and for what: server names (the broker) get
/// serverAuth and the CSR's SANs; service names (the bridges) clientAuth only, no SANs. Anything
/// else is refused: a throw-away certificate is a service identity, and an open CA would hand out
/// the bridges' rights or a broker impersonator's certificate to anyone.
public struct ThrowAwayPolicy: Sendable, Equatable {
    /// A name, or a prefix when it ends in `*` (`v2k-bridge*` covers pod names `v2k-bridge-7f9c`).
    public struct NamePattern: Sendable, Equatable, CustomStringConvertible {
        public let text: String

        public init(_ text: String) { self.text = text }

        func matches(_ name: String) -> Bool {
            text.hasSuffix("*") ? name.hasPrefix(text.dropLast()) : name == text
        }

        public var description: String { text }
    }

    public enum Grant: Sendable, Equatable {
        case server
        case service
    }

    public var serverNames: [NamePattern]
    public var serviceNames: [NamePattern]

    public init(
        serverNames: [NamePattern] = [NamePattern("iotagent-mqtt")],
        serviceNames: [NamePattern] = [NamePattern("v2k-bridge*"), NamePattern("k2v-bridge*")]
    ) {
        self.serverNames = serverNames
        self.serviceNames = serviceNames
    }

    /// What `commonName` may get; nil when it is not a configured name. A device identity
    /// (`tenant:device`) is never a service, whatever the patterns say.
    public func grant(for commonName: String) -> Grant? {
        guard !commonName.isEmpty, !commonName.contains(":") else { return nil }
        if serverNames.contains(where: { $0.matches(commonName) }) { return .server }
        if serviceNames.contains(where: { $0.matches(commonName) }) { return .service }
        return nil
    }
}
