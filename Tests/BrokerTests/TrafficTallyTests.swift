import MQTTCore
import Testing

@testable import Broker

@Suite struct TrafficTallyTests {
    @Test func drainVisitsOnlyCountedIndexesAndZeroesThem() {
        var counts = CountsByIndex(size: 16)
        #expect(counts.isEmpty)
        counts.add(3)
        counts.add(3)
        counts.add(15)
        counts.add(0)
        var seen: [(Int, Int)] = []
        counts.drain { seen.append(($0, $1)) }
        #expect(seen.map(\.0) == [0, 3, 15])
        #expect(seen.map(\.1) == [1, 2, 1])
        #expect(counts.isEmpty)
        var again: [(Int, Int)] = []
        counts.drain { again.append(($0, $1)) }
        #expect(again.isEmpty)
        counts.add(3)
        counts.drain { again.append(($0, $1)) }
        #expect(again.map(\.1) == [1])
    }

    @Test func tallyIsEmptyOnlyWhenNothingIsCounted() {
        var tally = TrafficTally()
        #expect(tally.isEmpty)
        tally.sent(bytes: 10)
        #expect(!tally.isEmpty)
        tally.bytesOut = 0
        tally.messageOut(.atLeastOnce)
        #expect(!tally.isEmpty)
        tally.messagesOut.drain { _, _ in }
        #expect(tally.isEmpty)
    }
}
