import Testing

@testable import K2VBridge

@Suite struct OffsetTrackerTests {
    let p0 = PartitionID(topic: "t", partition: 0)
    let p1 = PartitionID(topic: "t", partition: 1)

    @Test func anOffsetIsStoredOnlyWhenEveryEarlierRecordOfItsPartitionIsDone() {
        var tracker = OffsetTracker()
        let a = tracker.track(p0, offset: 10)
        let b = tracker.track(p0, offset: 11)
        let c = tracker.track(p0, offset: 12)
        #expect(tracker.complete(c) == .init(storeOffset: nil, released: 0))
        #expect(tracker.complete(b) == .init(storeOffset: nil, released: 0))
        #expect(tracker.outstanding == 3)
        #expect(tracker.complete(a) == .init(storeOffset: 12, released: 3))
        #expect(tracker.outstanding == 0)
    }

    @Test func partitionsAreIndependent() {
        var tracker = OffsetTracker()
        let a = tracker.track(p0, offset: 5)
        let b = tracker.track(p1, offset: 7)
        #expect(tracker.complete(b) == .init(storeOffset: 7, released: 1))
        #expect(tracker.outstanding == 1)
        #expect(tracker.complete(a) == .init(storeOffset: 5, released: 1))
    }

    @Test func redeliveredRecordsNeverMoveTheStoredOffsetBack() {
        var tracker = OffsetTracker()
        let old = [tracker.track(p0, offset: 100), tracker.track(p0, offset: 101)]
        // A rebalance hands the same records out again while the first ones are in flight.
        let again = [tracker.track(p0, offset: 100), tracker.track(p0, offset: 101), tracker.track(p0, offset: 102)]
        #expect(tracker.complete(old[0]).storeOffset == 100)
        #expect(tracker.complete(old[1]).storeOffset == 101)
        #expect(tracker.complete(again[0]).storeOffset == nil)
        #expect(tracker.complete(again[1]).storeOffset == nil)
        #expect(tracker.complete(again[2]).storeOffset == 102)
        #expect(tracker.outstanding == 0)
    }

    @Test func completingTwiceOrUnknownTicketsChangesNothing() {
        var tracker = OffsetTracker()
        let a = tracker.track(p0, offset: 1)
        #expect(tracker.complete(a).released == 1)
        #expect(tracker.complete(a) == .init())
        #expect(tracker.complete(.init(partition: p1, sequence: 3)) == .init())
    }
}
