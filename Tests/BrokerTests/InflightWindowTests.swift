import MQTTCore
import NIOCore
import Testing

@testable import Broker

@Suite struct InflightWindowTests {
    func message(_ n: Int, qos: QoS = .atLeastOnce) -> OutboundMessage {
        OutboundMessage(message: BrokerMessage(topic: "t", payload: ByteBuffer(string: "\(n)"), qos: qos, retain: false), qos: qos, retain: false, sharedGroup: nil)
    }

    @Test func outOfOrderAcknowledgementsKeepTheRestInSendOrder() {
        var window = InflightWindow()
        let ids = (0..<100).map { window.add(self.message($0)) }
        for index in stride(from: 1, to: 100, by: 2) {
            let acknowledged = window.acknowledge(ids[index], stage: .awaitingPubAck)
            #expect(acknowledged != nil)
        }
        #expect(window.count == 50)
        #expect(window.entries.map { String(buffer: $0.message.message.payload) } == stride(from: 0, to: 100, by: 2).map(String.init))
        let again = window.acknowledge(ids[1], stage: .awaitingPubAck)
        #expect(again == nil, "a second acknowledgement is ignored")
        for index in stride(from: 0, to: 100, by: 2) {
            let acknowledged = window.acknowledge(ids[index], stage: .awaitingPubAck)
            #expect(acknowledged != nil)
        }
        #expect(window.count == 0 && window.entries.isEmpty)
    }

    @Test func packetIDsWrapAroundWithoutReusingOneInFlight() {
        var window = InflightWindow()
        let stuck = window.add(self.message(0))
        var seen: Set<UInt16> = [stuck]
        for n in 1..<70_000 {
            let id = window.add(self.message(n))
            #expect(id != stuck && id != 0)
            seen.insert(id)
            _ = window.acknowledge(id, stage: .awaitingPubAck)
        }
        #expect(window.count == 1 && seen.count == 65_535)
    }

    @Test func qos2MovesToItsSecondStageOnPubRec() {
        var window = InflightWindow()
        let id = window.add(self.message(1, qos: .exactlyOnce))
        let early = window.acknowledge(id, stage: .awaitingPubAck)
        #expect(early == nil)
        let received = window.received(id)
        #expect(received.inFlight && received.firstReceipt != nil)
        let repeated = window.received(id)
        #expect(repeated.inFlight && repeated.firstReceipt == nil)
        let completed = window.acknowledge(id, stage: .awaitingPubComp)
        #expect(completed != nil)
        let again = window.received(id)
        #expect(!again.inFlight)
    }
}
