import MQTTCore
import Testing

@Suite struct SubscriptionIndexTests {
    @Test func trieAgreesWithLinearMatcherOnRandomFiltersAndTopics() {
        var random = DecoderRobustnessTests.SplitMix64(state: 7)
        let topicLevels = ["a", "b", "c", "", "$SYS", "$x", "é"]
        let filterLevels = topicLevels + ["+", "+", "#"]
        func randomLevels(_ alphabet: [String], count: Int) -> [String] {
            (0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
        }
        var filters: Set<String> = []
        while filters.count < 400 {
            let filter = randomLevels(filterLevels, count: Int.random(in: 1...4, using: &random)).joined(separator: "/")
            if Topic.isValidFilter(filter) { filters.insert(filter) }
        }
        var index = SubscriptionIndex<String, Int>()
        for (n, filter) in filters.enumerated() { index.insert(filter: filter, key: filter, value: n) }
        #expect(index.count == filters.count)
        for _ in 0..<1500 {
            let topic = randomLevels(topicLevels, count: Int.random(in: 1...5, using: &random)).joined(separator: "/")
            let expected = Set(filters.filter { Topic.matches(filter: $0, topic: topic) })
            let actual = index.matches(topic: topic).map(\.key)
            #expect(actual.count == Set(actual).count, "one report per filter for \(topic)")
            #expect(Set(actual) == expected, "topic \(topic)")
        }
        // Removing half of the filters leaves exactly the other half matching.
        let removed = Set(filters.shuffled(using: &random).prefix(200))
        for filter in removed { #expect(index.remove(filter: filter, key: filter) != nil) }
        #expect(index.count == filters.count - removed.count)
        for _ in 0..<1000 {
            let topic = randomLevels(topicLevels, count: Int.random(in: 1...5, using: &random)).joined(separator: "/")
            let expected = Set(filters.subtracting(removed).filter { Topic.matches(filter: $0, topic: topic) })
            #expect(Set(index.matches(topic: topic).map(\.key)) == expected, "topic \(topic)")
        }
    }

    @Test func removingEverythingLeavesAnEmptyIndexThatStillWorks() {
        var index = SubscriptionIndex<Int, QoS>()
        let filters = ["a/b", "a/+", "a/#", "+/b", "#", "a/b/c"]
        for (n, filter) in filters.enumerated() { index.insert(filter: filter, key: n, value: .atLeastOnce) }
        for (n, filter) in filters.enumerated() { index.remove(filter: filter, key: n) }
        #expect(index.count == 0)
        #expect(index.matches(topic: "a/b").isEmpty)
        index.insert(filter: "a/b", key: 1, value: .exactlyOnce)
        #expect(index.matches(topic: "a/b").map(\.value) == [.exactlyOnce])
    }

    @Test func severalSubscribersOnOneFilterAndReplacement() {
        var index = SubscriptionIndex<String, QoS>()
        index.insert(filter: "+/attrs", key: "v2k-1", value: .atMostOnce)
        index.insert(filter: "+/attrs", key: "v2k-2", value: .atLeastOnce)
        #expect(index.insert(filter: "+/attrs", key: "v2k-1", value: .exactlyOnce) == .atMostOnce)
        #expect(index.count == 2)
        #expect(index.value(filter: "+/attrs", key: "v2k-1") == .exactlyOnce)
        let matched = Dictionary(uniqueKeysWithValues: index.matches(topic: "admin:1/attrs").map { ($0.key, $0.value) })
        #expect(matched == ["v2k-1": .exactlyOnce, "v2k-2": .atLeastOnce])
        #expect(index.remove(filter: "+/attrs", key: "nobody") == nil)
    }

    @Test func levelsCompareByteForByte() {
        var index = SubscriptionIndex<Int, Int>()
        index.insert(filter: "caf\u{e9}", key: 1, value: 1)
        #expect(index.matches(topic: "cafe\u{301}").isEmpty)
        #expect(index.matches(topic: "caf\u{e9}").count == 1)
    }
}
