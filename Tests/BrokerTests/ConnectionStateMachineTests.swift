import MQTTAuthorization
import MQTTCore
import NIOCore
import TestSupport
import Testing

@testable import Broker

/// The broker's connection state machine on its own: inputs in, decisions out, time from a
/// virtual clock (milliseconds passed in by the test).
@Suite struct ConnectionStateMachineTests {
    final class FakeSession {}
    final class FakeGroup {}
    typealias Machine = ConnectionStateMachine<FakeSession, FakeGroup>

    static func settings(plain: Bool = true, lifetime: Int64? = nil, jitter: Int = 0, maxUnacknowledged: Int = 1000) -> ConnectionSettings {
        ConnectionSettings(
            connectTimeoutMilliseconds: 10_000, maxClientIDLength: 23, maxUnacknowledgedPublishes: maxUnacknowledged,
            acknowledgementsMayWait: true, identityFromUsername: plain, deviceLifetimeMilliseconds: lifetime, lifetimeJitterPercent: jitter
        )
    }

    static let device = DojotAuthorizer()

    /// A machine with a connected session: CONNECT as `admin:d1` at time `now`.
    static func connected(
        _ settings: ConnectionSettings = settings(), keepAlive: UInt16 = 0, will: ConnectPacket.Will? = nil, cleanSession: Bool = true,
        policy: (any Authorizer)? = nil, now: Int64 = 0
    ) throws -> (Machine, FakeSession) {
        var machine = Machine(settings: settings)
        machine.channelActive(now: now)
        let connect = ConnectPacket(clientID: "d1", cleanSession: cleanSession, keepAlive: keepAlive, will: will, username: "admin:d1")
        guard case .connect(let packet) = machine.packetReceived(.connect(connect)),
            case .authorize(let client) = machine.connectReceived(packet, generatedClientID: { "auto" })
        else {
            throw TestFailure("CONNECT not taken")
        }
        _ = machine.connectAuthorized(policy: (policy ?? Self.device).connectionPolicy(for: client), now: now, jitter: 0)
        let session = FakeSession()
        guard case .start(let connack, let backlog) = machine.sessionArrived(session, resumed: false) else { throw TestFailure("not started") }
        #expect(connack.returnCode == .accepted && !connack.sessionPresent && backlog.isEmpty)
        return (machine, session)
    }

    static func publish(_ topic: String = "admin:d1/attrs", qos: QoS = .atLeastOnce, id: UInt16? = 1) -> PublishPacket {
        PublishPacket(topic: topic, payload: ByteBuffer(string: "{}"), qos: qos, packetID: qos == .atMostOnce ? nil : id)
    }

    // MARK: CONNECT and timers

    @Test func noConnectInTimeCloses() {
        var machine = Machine(settings: Self.settings())
        machine.channelActive(now: 1_000)
        #expect(machine.nextDeadline == 11_000)
        guard case .none = machine.timerFired(now: 10_999) else {
            Issue.record("closed early")
            return
        }
        guard case .close(.connectTimeout) = machine.timerFired(now: 11_000) else {
            Issue.record("not closed")
            return
        }
        #expect(machine.nextDeadline == nil)
        guard case .none = machine.packetReceived(.pingreq) else {
            Issue.record("packet after close handled")
            return
        }
    }

    @Test func firstPacketMustBeConnect() {
        var machine = Machine(settings: Self.settings())
        machine.channelActive(now: 0)
        guard case .close(.protocolViolation) = machine.packetReceived(.pingreq) else {
            Issue.record("PINGREQ before CONNECT taken")
            return
        }
    }

    @Test func clientIDRules() {
        var machine = Machine(settings: Self.settings())
        guard case .refuse(.identifierRejected, _) = machine.connectReceived(ConnectPacket(clientID: "", cleanSession: false), generatedClientID: { "x" }) else {
            Issue.record("empty id with a persistent session accepted")
            return
        }
        machine = Machine(settings: Self.settings())
        guard case .authorize(let client) = machine.connectReceived(ConnectPacket(clientID: "", cleanSession: true), generatedClientID: { "auto-1" }) else {
            Issue.record("empty id with a clean session refused")
            return
        }
        #expect(client.clientID == "auto-1")
        machine = Machine(settings: Self.settings())
        guard case .refuse(.identifierRejected, _) = machine.connectReceived(ConnectPacket(clientID: String(repeating: "a", count: 24)), generatedClientID: { "x" }) else {
            Issue.record("over-long id accepted")
            return
        }
    }

    @Test func identityComesFromTheListener() {
        var plain = Machine(settings: Self.settings(plain: true))
        plain.certificateVerified(commonName: "admin:cert")
        guard case .authorize(let fromUsername) = plain.connectReceived(ConnectPacket(clientID: "c", username: "admin:user"), generatedClientID: { "" }) else { return }
        #expect(fromUsername.identity == "admin:user" && !fromUsername.viaVerifiedCertificate)
        var tls = Machine(settings: Self.settings(plain: false))
        tls.certificateVerified(commonName: "admin:cert")
        guard case .authorize(let fromCertificate) = tls.connectReceived(ConnectPacket(clientID: "c", username: "admin:user"), generatedClientID: { "" }) else { return }
        #expect(fromCertificate.identity == "admin:cert" && fromCertificate.viaVerifiedCertificate)
    }

    @Test func keepAliveExpiresAfterOneAndAHalfTimesWithoutReads() throws {
        var (machine, _) = try Self.connected(keepAlive: 10)
        #expect(machine.nextDeadline == 15_000)
        machine.readCompleted(now: 10_000)
        guard case .none = machine.timerFired(now: 15_000) else {
            Issue.record("expired despite a read")
            return
        }
        #expect(machine.nextDeadline == 25_000)
        guard case .close(.keepaliveExpired) = machine.timerFired(now: 25_000) else {
            Issue.record("not expired")
            return
        }
    }

    @Test func zeroKeepAliveNeedsNoTimer() throws {
        let (machine, _) = try Self.connected(keepAlive: 0)
        #expect(machine.nextDeadline == nil)
    }

    @Test func deviceLifetimeEndsTheConnectionWithJitter() throws {
        var (machine, _) = try Self.connected(Self.settings(lifetime: 60_000, jitter: 50), now: 5_000)
        // jitter 0 drawn: the full lifetime.
        #expect(machine.nextDeadline == 65_000)
        guard case .close(.lifetimeOver(milliseconds: 60_000)) = machine.timerFired(now: 65_000) else {
            Issue.record("lifetime not over")
            return
        }

        var spread = Machine(settings: Self.settings(lifetime: 60_000, jitter: 50))
        guard case .authorize(let client) = spread.connectReceived(ConnectPacket(clientID: "d", keepAlive: 0, username: "admin:d1"), generatedClientID: { "" }) else { return }
        _ = spread.connectAuthorized(policy: Self.device.connectionPolicy(for: client), now: 0, jitter: 1)
        #expect(spread.nextDeadline == 30_000)
    }

    @Test func servicesHaveNoLifetime() throws {
        var machine = Machine(settings: Self.settings(lifetime: 60_000))
        guard case .authorize(let client) = machine.connectReceived(ConnectPacket(clientID: "v", keepAlive: 0, username: "v2k-bridge"), generatedClientID: { "" }) else { return }
        _ = machine.connectAuthorized(policy: AllowAllAuthorizer().connectionPolicy(for: client), now: 0, jitter: 0)
        #expect(machine.nextDeadline == nil)
    }

    // MARK: Adoption

    @Test func packetsWaitForTheSessionInOrder() {
        var machine = Machine(settings: Self.settings())
        guard case .authorize(let client) = machine.connectReceived(ConnectPacket(clientID: "d1", cleanSession: false, username: "admin:d1"), generatedClientID: { "" }) else {
            return
        }
        _ = machine.connectAuthorized(policy: Self.device.connectionPolicy(for: client), now: 0, jitter: 0)
        for packet in [MQTTPacket.pingreq, .puback(packetID: 7)] {
            guard case .none = machine.packetReceived(packet) else {
                Issue.record("handled before the session arrived")
                return
            }
        }
        guard case .start(let connack, let backlog) = machine.sessionArrived(FakeSession(), resumed: true) else {
            Issue.record("not started")
            return
        }
        #expect(connack.sessionPresent)
        #expect(backlog == [.pingreq, .puback(packetID: 7)])
    }

    @Test func sessionArrivingAfterTheCloseIsAbandoned() {
        var machine = Machine(settings: Self.settings())
        guard case .authorize(let client) = machine.connectReceived(ConnectPacket(clientID: "d1", cleanSession: true, username: "admin:d1"), generatedClientID: { "" }) else {
            return
        }
        _ = machine.connectAuthorized(policy: Self.device.connectionPolicy(for: client), now: 0, jitter: 0)
        guard case .none = machine.connectionClosed(draining: false) else {
            Issue.record("ended a session it never had")
            return
        }
        guard case .abandon(_, endSession: true) = machine.sessionArrived(FakeSession(), resumed: false) else {
            Issue.record("not abandoned")
            return
        }
    }

    // MARK: Packets

    @Test func protocolRulesOfAConnectedClient() throws {
        var (machine, _) = try Self.connected()
        guard case .write(.pingresp) = machine.packetReceived(.pingreq) else {
            Issue.record("no PINGRESP")
            return
        }
        guard case .close(.protocolViolation) = machine.packetReceived(.suback(SubAckPacket(packetID: 1, returnCodes: []))) else {
            Issue.record("SUBACK from a client taken")
            return
        }
        (machine, _) = try Self.connected()
        guard case .close(.protocolViolation("second CONNECT")) = machine.packetReceived(.connect(ConnectPacket(clientID: "d1"))) else {
            Issue.record("second CONNECT taken")
            return
        }
    }

    @Test func deniedPublishClosesAndTheSessionStillEnds() throws {
        let will = ConnectPacket.Will(topic: "admin:d1/attrs", payload: ByteBuffer(string: "{}"))
        var (machine, session) = try Self.connected(will: will)
        guard case .close(.publishDenied(topic: "admin:d2/attrs")) = machine.publishReceived(Self.publish("admin:d2/attrs"), draining: false) else {
            Issue.record("denied publish routed")
            return
        }
        // The will is published on a close the client did not ask for [MQTT-3.1.2-8].
        guard case .end(let ended, will: .some, cleanSession: true) = machine.connectionClosed(draining: false) else {
            Issue.record("session not ended")
            return
        }
        #expect(ended === session)
    }

    @Test func willFollowsHowTheConnectionEnded() throws {
        let will = ConnectPacket.Will(topic: "admin:d1/attrs", payload: ByteBuffer(string: "{}"))
        var (machine, _) = try Self.connected(will: will)
        _ = machine.packetReceived(.disconnect)
        guard case .end(_, will: nil, _) = machine.connectionClosed(draining: false) else {
            Issue.record("will after DISCONNECT")
            return
        }

        (machine, _) = try Self.connected(will: will)
        guard case .end(_, will: .some, _) = machine.connectionClosed(draining: false) else {
            Issue.record("no will after a lost connection")
            return
        }

        (machine, _) = try Self.connected(will: will)
        guard case .end(_, will: nil, _) = machine.connectionClosed(draining: true) else {
            Issue.record("will while shutting down")
            return
        }

        (machine, _) = try Self.connected(will: will)
        machine.takenOver()
        guard case .none = machine.connectionClosed(draining: false) else {
            Issue.record("a taken-over connection ended the session")
            return
        }
    }

    @Test func drainingRefusesPublishesUnacknowledged() throws {
        var (machine, _) = try Self.connected()
        guard case .close(.draining) = machine.publishReceived(Self.publish(), draining: true) else {
            Issue.record("publish taken while draining")
            return
        }
    }

    // MARK: Acknowledgements and backpressure

    @Test func acknowledgementsKeepPublishOrder() throws {
        var (machine, _) = try Self.connected()
        guard case .route(acknowledgementSequence: let first?) = machine.publishReceived(Self.publish(id: 1), draining: false) else { return }
        let firstAcknowledgement = machine.publishRouted(packetID: 1, qos: .atLeastOnce, waits: true)
        #expect(firstAcknowledgement == nil)
        // Ready at once, but behind the first.
        guard case .route(acknowledgementSequence: _?) = machine.publishReceived(Self.publish(id: 2), draining: false) else { return }
        let secondAcknowledgement = machine.publishRouted(packetID: 2, qos: .atLeastOnce, waits: false)
        #expect(secondAcknowledgement == nil)
        let blocked = machine.nextAcknowledgement()
        #expect(blocked == nil)
        let stillServing = machine.deliveryAcknowledged(first)
        #expect(stillServing)
        let one = machine.nextAcknowledgement()
        #expect(one == .puback(packetID: 1))
        let two = machine.nextAcknowledgement()
        #expect(two == .puback(packetID: 2))
        let none = machine.nextAcknowledgement()
        #expect(none == nil)
        // Nothing waits: the next one goes at once; QoS 2 is answered with PUBREC.
        let immediate = machine.publishRouted(packetID: 3, qos: .exactlyOnce, waits: false)
        #expect(immediate == .pubrec(packetID: 3))
    }

    @Test func exactlyOnceDuplicateIsAcknowledgedOnlyWhenItsCopiesAre() throws {
        var (machine, _) = try Self.connected()
        _ = machine.publishRouted(packetID: 5, qos: .exactlyOnce, waits: true)
        #expect(machine.duplicateExactlyOnce(5) == nil)
        #expect(machine.duplicateExactlyOnce(6) == .pubrec(packetID: 6))
    }

    @Test func readingPausesWhileTooManyAcknowledgementsWait() throws {
        var (machine, _) = try Self.connected(Self.settings(maxUnacknowledged: 4))
        var sequences: [UInt64] = []
        for id in UInt16(1)...4 {
            guard case .route(acknowledgementSequence: let sequence?) = machine.publishReceived(Self.publish(id: id), draining: false) else { return }
            sequences.append(sequence)
            _ = machine.publishRouted(packetID: id, qos: .atLeastOnce, waits: true)
            let change = machine.readingChange()
            #expect(change == (id == 4 ? .pause : nil))
        }
        for (index, sequence) in sequences.enumerated() {
            _ = machine.deliveryAcknowledged(sequence)
            while machine.nextAcknowledgement() != nil {}
            // Reading starts again when fewer than half wait.
            let change = machine.readingChange()
            #expect(change == (index == 2 ? .resume : nil))
        }
        #expect(machine.isReading)
    }

    @Test func fullGroupIsLookedAtAgainOnTheTimer() throws {
        var (machine, _) = try Self.connected()
        let group = FakeGroup()
        let paused = machine.groupFull(group, now: 100)
        #expect(paused == .pause)
        #expect(machine.nextDeadline == 110)
        guard case .checkGroupRoom(let checked) = machine.timerFired(now: 110), checked === group else {
            Issue.record("group not checked")
            return
        }
        let stillFull = machine.groupRoomChecked(hasRoom: false, now: 110)
        #expect(stillFull == nil)
        #expect(machine.nextDeadline == 120)
        guard case .checkGroupRoom = machine.timerFired(now: 120) else {
            Issue.record("group not checked again")
            return
        }
        let resumed = machine.groupRoomChecked(hasRoom: true, now: 120)
        #expect(resumed == .resume)
        #expect(machine.nextDeadline == nil)
    }

    // MARK: SUBSCRIBE

    @Test func subscriptionsAreJudgedOneByOne() throws {
        var (machine, _) = try Self.connected()
        let decision = machine.subscriptionsRequested(
            SubscribePacket(
                packetID: 1,
                subscriptions: [
                    .init(filter: "admin:d1/config", qos: .atLeastOnce), .init(filter: "admin:d2/config", qos: .atLeastOnce), .init(filter: "$share//x", qos: .atMostOnce),
                ]))
        #expect(decision.returnCodes == [.granted(.atLeastOnce), .failure, .failure])
        #expect(decision.denied == ["admin:d2/config"])
        #expect(decision.granted.map(\.filter) == ["admin:d1/config"])

        var (service, _) = try Self.connected(policy: AllowAllAuthorizer())
        let shared = service.subscriptionsRequested(SubscribePacket(packetID: 2, subscriptions: [.init(filter: "$share/g/+/attrs", qos: .atLeastOnce)]))
        #expect(shared.granted.first?.isShared == true)
    }

    @Test func ruleChangeDropsWhatIsNoLongerAllowed() throws {
        var (machine, session) = try Self.connected(policy: AllowAllAuthorizer())
        guard let client = machine.client else { return }
        let recheck = machine.rulesChanged(Self.device.connectionPolicy(for: client))
        #expect(recheck === session)
        let (kept, dropped) = machine.recheck(["admin:d1/config": .atLeastOnce, "#": .atMostOnce])
        #expect(kept.map(\.filter) == ["admin:d1/config"])
        #expect(dropped == ["#"])
    }
}
