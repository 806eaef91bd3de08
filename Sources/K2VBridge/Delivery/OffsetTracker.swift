import NIOCore

/// One partition of one topic.
struct PartitionID: Hashable, Sendable, CustomStringConvertible {
    let topic: String
    let partition: Int32
    var description: String { "\(topic)[\(partition)]" }
}

/// Decides which offsets may be stored. A stored offset tells the group that every earlier record
/// of its partition is done, so a record's offset is stored only once it and every record received
/// before it in its partition are done (published and acknowledged, or skipped).
///
/// A plain state machine: the caller holds the lock and stores the offsets it returns.
struct OffsetTracker: Sendable {
    struct Ticket: Hashable, Sendable {
        let partition: PartitionID
        let sequence: UInt64
    }

    struct Completion: Equatable, Sendable {
        /// The record whose offset (+ 1) may now be stored; nil when nothing new is covered.
        var storeOffset: Int64?
        /// How many records left the tracker (they no longer count as outstanding).
        var released = 0
    }

    private struct Entry: Sendable {
        let offset: Int64
        var done = false
    }

    /// Records of one partition in arrival order; `headSequence` is the sequence of the first.
    private struct PartitionQueue: Sendable {
        var entries = CircularBuffer<Entry>()
        var headSequence: UInt64 = 0
        /// Never store an offset below one already stored: after a rebalance librdkafka may hand
        /// out records again that an earlier assignment is still publishing.
        var highestStored: Int64 = -1
    }

    private var queues: [PartitionID: PartitionQueue] = [:]
    /// Records received and not yet covered by a storable offset.
    private(set) var outstanding = 0

    mutating func track(_ partition: PartitionID, offset: Int64) -> Ticket {
        var queue = queues.removeValue(forKey: partition) ?? PartitionQueue()
        let sequence = queue.headSequence + UInt64(queue.entries.count)
        queue.entries.append(Entry(offset: offset))
        queues[partition] = queue
        outstanding += 1
        return Ticket(partition: partition, sequence: sequence)
    }

    mutating func complete(_ ticket: Ticket) -> Completion {
        guard var queue = queues.removeValue(forKey: ticket.partition) else { return Completion() }
        defer { queues[ticket.partition] = queue }
        guard ticket.sequence >= queue.headSequence else { return Completion() }
        let position = Int(ticket.sequence - queue.headSequence)
        guard position < queue.entries.count else { return Completion() }
        queue.entries[queue.entries.index(queue.entries.startIndex, offsetBy: position)].done = true

        var completion = Completion()
        var newest: Int64?
        while let head = queue.entries.first, head.done {
            queue.entries.removeFirst()
            queue.headSequence += 1
            completion.released += 1
            newest = max(newest ?? head.offset, head.offset)
        }
        outstanding -= completion.released
        if let newest, newest > queue.highestStored {
            queue.highestStored = newest
            completion.storeOffset = newest
        }
        return completion
    }
}
