import Logging
import NIOCore

/// One record read back at recovery. Sessions come first, then messages (grouped by session, in
/// sequence order), inbound QoS 2 ids, and retained messages.
public enum RecoveredRecord: Sendable {
    case session(StoredSession)
    case message(SessionKey, StoredMessage)
    case inboundQoS2(SessionKey, packetID: UInt16)
    case retained(RetainedMessage)
}

public struct RecoveryReport: Sendable, Equatable {
    public var sessions = 0
    public var messages = 0
    public var inboundQoS2 = 0
    public var retained = 0
    /// Records whose key or value could not be decoded: logged and left out.
    public var skipped = 0
    /// Messages or inbound ids of a session that has no session record: left out.
    public var orphaned = 0
    public var duration: Duration = .zero
}

extension BrokerStore {
    /// Reads the whole store back with one prefix scan per kind, handing each record to `visit`
    /// (on the calling thread: call it at start-up, before the listeners open). Undecodable
    /// records are logged, counted and skipped; only a failing read (I/O error) throws.
    public func recover(_ visit: (RecoveredRecord) throws -> Void) throws -> RecoveryReport {
        let started = ContinuousClock.now
        var scan = RecoveryScan(logger: logger)
        do {
            try database.scan(prefix: KeyLayout.kindPrefix(.session)) { key, value in
                try scan.session(key, value, visit)
            }
            try database.scan(prefix: KeyLayout.kindPrefix(.message)) { key, value in
                try scan.message(key, value, visit)
            }
            try database.scan(prefix: KeyLayout.kindPrefix(.inboundQoS2)) { key, value in
                try scan.inboundQoS2(key, value, visit)
            }
            try database.scan(prefix: KeyLayout.kindPrefix(.retained)) { key, value in
                try scan.retained(key, value, visit)
            }
        } catch let error as RocksDatabase.Failure {
            throw BrokerStoreError.readFailed(path: path, reason: error.description)
        }
        scan.report.duration = ContinuousClock.now - started
        scan.logSummary(path: path)
        return scan.report
    }
}

/// The state of one recovery pass: which sessions exist, and the session of the previous key, so
/// that the million messages of a hundred thousand sessions decode a session key only per session.
struct RecoveryScan {
    var report = RecoveryReport()
    let logger: Logger
    private let allocator = ByteBufferAllocator()
    private var knownSessions: Set<[UInt8]> = []
    private var lastSessionBytes: [UInt8] = []
    private var lastSession: SessionKey?
    private var lastSessionKnown = false
    private static let loggedSkipsLimit = 20

    init(logger: Logger) { self.logger = logger }

    mutating func session(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ visit: (RecoveredRecord) throws -> Void) throws {
        let decoded: StoredSession
        do {
            var reader = BinaryReader(UnsafeRawBufferPointer(rebasing: key.dropFirst()))
            let sessionKey = try KeyLayout.decodeSessionKey(&reader)
            try reader.expectEnd("session key")
            decoded = try ValueCodec.decodeSession(sessionKey, value)
        } catch {
            return skip("session", key, error)
        }
        knownSessions.insert(Array(key.dropFirst()))
        report.sessions += 1
        try visit(.session(decoded))
    }

    mutating func message(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ visit: (RecoveredRecord) throws -> Void) throws {
        let record: RecoveredRecord
        do {
            guard let session = try sessionOf(key) else { return }
            var reader = BinaryReader(UnsafeRawBufferPointer(rebasing: key[(1 + lastSessionBytes.count)...]))
            let sequence = try reader.read(UInt64.self)
            try reader.expectEnd("message key")
            record = .message(session, try ValueCodec.decodeMessage(sequence: sequence, value, allocator: allocator))
        } catch {
            return skip("message", key, error)
        }
        report.messages += 1
        try visit(record)
    }

    mutating func inboundQoS2(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ visit: (RecoveredRecord) throws -> Void) throws {
        let record: RecoveredRecord
        do {
            guard let session = try sessionOf(key) else { return }
            var reader = BinaryReader(UnsafeRawBufferPointer(rebasing: key[(1 + lastSessionBytes.count)...]))
            let packetID = try reader.read(UInt16.self)
            try reader.expectEnd("inbound QoS 2 key")
            try ValueCodec.decodeInboundQoS2(value)
            record = .inboundQoS2(session, packetID: packetID)
        } catch {
            return skip("inbound QoS 2 id", key, error)
        }
        report.inboundQoS2 += 1
        try visit(record)
    }

    mutating func retained(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ visit: (RecoveredRecord) throws -> Void) throws {
        let record: RecoveredRecord
        do {
            let topicBytes = UnsafeRawBufferPointer(rebasing: key.dropFirst())
            guard let topic = String(validating: topicBytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
                throw DecodeError(description: "topic is not UTF-8")
            }
            record = .retained(try ValueCodec.decodeRetained(topic: topic, value, allocator: allocator))
        } catch {
            return skip("retained message", key, error)
        }
        report.retained += 1
        try visit(record)
    }

    /// The session of a `<kind> <session> <suffix>` key; nil (counted) when it has no session record.
    private mutating func sessionOf(_ key: UnsafeRawBufferPointer) throws -> SessionKey? {
        var reader = BinaryReader(UnsafeRawBufferPointer(rebasing: key.dropFirst()))
        try reader.skipSlice()
        try reader.skipSlice()
        let sessionBytes = UnsafeRawBufferPointer(rebasing: key[1..<(1 + reader.offset)])
        if lastSession == nil || !lastSessionBytes.elementsEqual(sessionBytes) {
            lastSessionBytes = Array(sessionBytes)
            var keyReader = BinaryReader(sessionBytes)
            lastSession = try KeyLayout.decodeSessionKey(&keyReader)
            lastSessionKnown = knownSessions.contains(lastSessionBytes)
            if !lastSessionKnown {
                logger.warning("broker store: records of a session without session record skipped", metadata: ["session": "\(lastSession!)"])
            }
        }
        guard lastSessionKnown else {
            report.orphaned += 1
            return nil
        }
        return lastSession
    }

    private mutating func skip(_ kind: String, _ key: UnsafeRawBufferPointer, _ error: any Error) {
        report.skipped += 1
        if report.skipped <= Self.loggedSkipsLimit {
            let hex = key.prefix(48).map { String($0, radix: 16) }.joined(separator: " ")
            logger.error("broker store: undecodable \(kind) skipped", metadata: ["key": "\(hex)", "error": "\(error)"])
        }
    }

    func logSummary(path: String) {
        var metadata: Logger.Metadata = [
            "path": "\(path)", "sessions": "\(report.sessions)", "messages": "\(report.messages)",
            "inboundQoS2": "\(report.inboundQoS2)", "retained": "\(report.retained)", "duration": "\(report.duration)",
        ]
        if report.skipped > 0 || report.orphaned > 0 {
            metadata["skipped"] = "\(report.skipped)"
            metadata["orphaned"] = "\(report.orphaned)"
            logger.warning("broker store recovered with records left out", metadata: metadata)
        } else {
            logger.info("broker store recovered", metadata: metadata)
        }
    }
}
