import MQTTAuthorization
import ServiceRuntime

/// Everything the broker reads from its environment (SPEC section 3), validated at start-up.
public struct BrokerConfiguration: Sendable {
    public struct TLSFiles: Sendable, Hashable {
        public var ca: String
        public var certificate: String
        public var key: String
        /// nil: CRL checking off (`BROKER_TLS_CRL=`), with a warning.
        public var crl: String?

        public init(ca: String, certificate: String, key: String, crl: String?) {
            self.ca = ca
            self.certificate = certificate
            self.key = key
            self.crl = crl
        }
    }

    public var bindHost = "0.0.0.0"
    /// nil: the listener is off (`0` in the environment).
    public var mqttPort: Int? = 1883
    public var mqttsPort: Int? = 8883
    public var httpPort = 8888
    public var tls: TLSFiles
    public var limits = BrokerLimits()
    public var authorization = AuthorizationMode.dojot
    public var aclFile: String?
    /// How often the acl-file is checked for changes (SIGHUP checks at once).
    public var aclReloadIntervalMilliseconds = 10_000
    public var v2kMark = "v2k-bridge"
    public var k2vMark = "k2v-bridge"
    /// Device connection lifetime; nil: off.
    public var deviceLifetimeMilliseconds: Int64? = 1_800_000
    /// Spread of the lifetime, in percent (0-50): each device gets lifetime x (1 - jitter ... 1).
    public var lifetimeJitterPercent = 0
    /// How often the TLS files are checked for changes.
    public var tlsReloadIntervalMilliseconds: Int64 = 1000
    /// A persistent session whose client stays away this long ends (its shared-subscription
    /// messages go to the group's other members); nil: never, as MQTT 3.1.1 has it. By default a
    /// week: a device gone for longer has lost its config messages' meaning, and sessions nobody
    /// comes back for would otherwise pile up.
    public var sessionExpirySeconds: Int64? = Int64(Self.defaultSessionExpirySeconds)
    public static let defaultSessionExpirySeconds = 7 * 86_400
    /// On SIGTERM, how long online subscribers get to receive what is queued for them.
    public var shutdownDrainMilliseconds: Int64 = 5000
    /// A QoS 1/2 PUBLISH matching shared subscriptions is acknowledged to its publisher only when a
    /// member of every matching group acknowledged it (with v2k-bridge: once it is in Kafka).
    public var endToEndAcknowledgement = true
    /// Where sessions, their messages and retained messages are stored (RocksDB); nil: memory only.
    public var dataDirectory: String?

    public init(tls: TLSFiles) {
        self.tls = tls
    }

    public init(from env: inout EnvironmentReader, hostname: String) throws(ConfigurationError) {
        self.init(
            tls: TLSFiles(
                ca: try env.filePath("BROKER_TLS_CA", default: "/certs/ca.crt"),
                certificate: try env.filePath("BROKER_TLS_CERT", default: "/certs/\(hostname).crt"),
                key: try env.filePath("BROKER_TLS_KEY", default: "/certs/\(hostname).key"),
                crl: try env.optionalFilePath("BROKER_TLS_CRL", default: "/certs/ca.crl")
            ))
        self.bindHost = env.string("BROKER_BIND", default: "0.0.0.0")
        let mqtt = try env.port("BROKER_MQTT_PORT", default: 1883)
        self.mqttPort = mqtt == 0 ? nil : mqtt
        let mqtts = try env.port("BROKER_MQTTS_PORT", default: 8883)
        self.mqttsPort = mqtts == 0 ? nil : mqtts
        self.httpPort = try env.port("BROKER_HTTP_PORT", default: 8888)
        self.limits.maxPacketBytes = try env.int("BROKER_MAX_PACKET_BYTES", default: 262_144, in: 64...268_435_460)
        self.limits.maxInflight = try env.int("BROKER_MAX_INFLIGHT", default: 100, in: 1...65_535)
        self.limits.maxQueued = try env.int("BROKER_MAX_QUEUED", default: 1000, in: 0...10_000_000)
        self.limits.maxConnectPacketBytes = try env.int("BROKER_MAX_CONNECT_PACKET_BYTES", default: 16_384, in: 64...268_435_460)
        self.limits.maxConnections = try env.int("BROKER_MAX_CONNECTIONS", default: 100_000, in: 0...10_000_000)
        self.limits.maxConnectionsPerAddress = try env.int("BROKER_MAX_CONNECTIONS_PER_ADDRESS", default: 1000, in: 0...10_000_000)
        self.limits.maxClientIDLength = try env.int("BROKER_MAX_CLIENT_ID_LENGTH", default: 256, in: 23...65_535)
        self.limits.maxSessionsPerIdentity = try env.int("BROKER_MAX_SESSIONS_PER_IDENTITY", default: 100, in: 1...10_000_000)
        self.limits.maxRetainedMessages = try env.int("BROKER_MAX_RETAINED_MESSAGES", default: 100_000, in: 0...100_000_000)
        self.limits.maxRetainedBytes = try env.int("BROKER_MAX_RETAINED_BYTES", default: 64 << 20, in: 0...(1 << 40))
        self.limits.maxUnacknowledgedPublishes = try env.int("BROKER_MAX_UNACKED_PUBLISHES", default: 1000, in: 1...1_000_000)
        self.endToEndAcknowledgement = try env.bool("BROKER_END_TO_END_ACK", default: true)
        self.limits.connectTimeoutMilliseconds = Int64(try env.int("BROKER_CONNECT_TIMEOUT_MS", default: 10_000, in: 100...3_600_000))
        self.authorization = try env.enumeration("BROKER_AUTHZ", default: AuthorizationMode.dojot)
        self.aclFile = env.optionalString("BROKER_ACL_FILE")
        self.aclReloadIntervalMilliseconds = try env.int("BROKER_ACL_RELOAD_INTERVAL_MS", default: 10_000, in: 100...3_600_000)
        if self.authorization == .aclFile, (self.aclFile ?? "").isEmpty {
            throw .missingValue("BROKER_ACL_FILE", expected: "the ACL file's path, since BROKER_AUTHZ=acl-file")
        }
        self.v2kMark = env.string("PLUGIN_ACL_V2K_SERVICENAME", default: "v2k-bridge")
        self.k2vMark = env.string("PLUGIN_ACL_K2V_SERVICENAME", default: "k2v-bridge")
        let lifetime = try env.int("PLUGIN_DISC_LIFETIME_SESSION", default: 1_800_000, in: 0...(365 * 86_400_000))
        self.deviceLifetimeMilliseconds = lifetime == 0 ? nil : Int64(lifetime)
        self.lifetimeJitterPercent = try env.int("BROKER_LIFETIME_JITTER", default: 0, in: 0...50)
        self.tlsReloadIntervalMilliseconds = Int64(try env.int("BROKER_TLS_RELOAD_INTERVAL_MS", default: 1000, in: 100...3_600_000))
        let expiry = try env.int("BROKER_SESSION_EXPIRY_SEC", default: Self.defaultSessionExpirySeconds, in: 0...(10 * 365 * 86_400))
        self.sessionExpirySeconds = expiry == 0 ? nil : Int64(expiry)
        self.dataDirectory = try env.optionalFilePath("BROKER_DATA_DIR", default: nil)
        self.shutdownDrainMilliseconds = Int64(try env.int("BROKER_SHUTDOWN_DRAIN_MS", default: 5000, in: 0...600_000))
    }
}
