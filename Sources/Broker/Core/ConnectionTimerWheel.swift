import NIOCore

/// What a `ConnectionTimerWheel` times. The wheel keeps in `wheelPosition` where it holds the
/// owner, so that cancelling is a swap in one slot, not a search.
protocol WheelTimed: AnyObject {
    var wheelPosition: WheelPosition { get set }
    func wheelTimerFired()
}

/// Where a wheel holds its owner; `none` when it is not armed.
struct WheelPosition {
    fileprivate var slot: Int32 = -1
    fileprivate var index: Int32 = -1

    static var none: WheelPosition { WheelPosition() }
    var isArmed: Bool { self.slot >= 0 }
}

/// The connections' timers of one event loop (connect timeout, keep alive, lifetime, group
/// room), used only on that loop.
///
/// SwiftNIO keeps scheduled tasks in a heap whose cancel searches it linearly: with one timer per
/// connection, every close on a loop with 50 000 devices scanned 50 000 entries. Here arming and
/// cancelling are O(1) (a slot per 10 ms tick, 4096 slots, a deadline further out waits in its
/// slot for its turn), one NIO callback serves the whole loop at the next occupied tick, and an
/// armed timer costs 16 bytes in its slot. Timers fire up to one tick late, never early.
final class ConnectionTimerWheel<Owner: WheelTimed>: NIOScheduledCallbackHandler {
    static var tickMilliseconds: Int64 { 10 }
    static var slotCount: Int { 4096 }
    private static var slotMask: Int64 { Int64(slotCount - 1) }

    private struct Entry {
        let owner: Owner
        let deadline: Int64
    }

    private let eventLoop: any EventLoop
    private var slots: [[Entry]]
    /// One bit per slot that holds an entry, to find the next occupied tick quickly.
    private var occupied: [UInt64]
    private(set) var count = 0
    /// The next tick to expire (ticks are `tickMilliseconds` of the loop's uptime clock).
    private var cursor: Int64 = 0
    private var callback: NIOScheduledCallback?
    private var callbackTick = Int64.max
    private var due: [Owner] = []

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.slots = Array(repeating: [], count: Self.slotCount)
        self.occupied = Array(repeating: 0, count: Self.slotCount / 64)
    }

    /// Milliseconds of the loop's clock (the uptime clock in production).
    var now: Int64 { Int64(self.eventLoop.now.uptimeNanoseconds / 1_000_000) }

    /// Arms (or moves) the owner's timer to fire at `deadline` (milliseconds of `now`'s clock).
    func arm(_ owner: Owner, deadline: Int64) {
        if owner.wheelPosition.isArmed { self.remove(owner) }
        if self.count == 0 { self.cursor = max(self.cursor, self.now / Self.tickMilliseconds) }
        // The first tick at or after the deadline; a past deadline goes to the next tick.
        let tick = max((deadline + Self.tickMilliseconds - 1) / Self.tickMilliseconds, self.cursor)
        let slot = Int(tick & Self.slotMask)
        owner.wheelPosition = WheelPosition(slot: Int32(slot), index: Int32(self.slots[slot].count))
        self.slots[slot].append(Entry(owner: owner, deadline: deadline))
        self.occupied[slot >> 6] |= 1 << UInt64(slot & 63)
        self.count += 1
        // A deadline beyond one revolution waits in its slot: wake when the slot comes round.
        self.wake(at: min(tick, self.cursor + Int64(Self.slotCount) - 1))
    }

    func cancel(_ owner: Owner) {
        guard owner.wheelPosition.isArmed else { return }
        self.remove(owner)
        if self.count == 0 {
            self.callback?.cancel()
            self.callback = nil
            self.callbackTick = .max
        }
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        self.callback = nil
        self.callbackTick = .max
        let now = self.now
        let nowTick = now / Self.tickMilliseconds
        // At most one revolution: every slot is visited once, so everything due has fired.
        let last = min(nowTick, self.cursor + Int64(Self.slotCount) - 1)
        while self.cursor <= last {
            self.expire(slot: Int(self.cursor & Self.slotMask), now: now)
            self.cursor += 1
        }
        self.cursor = max(self.cursor, nowTick + 1)
        // Fired after the sweep: an owner may arm again at once.
        for owner in self.due { owner.wheelTimerFired() }
        self.due.removeAll(keepingCapacity: true)
        // Owners that armed again have woken the wheel for their tick; an entry still waiting
        // may be due earlier.
        if let next = self.nextOccupiedTick() { self.wake(at: next) }
    }

    private func expire(slot: Int, now: Int64) {
        guard self.occupied[slot >> 6] & (1 << UInt64(slot & 63)) != 0 else { return }
        var index = 0
        while index < self.slots[slot].count {
            let entry = self.slots[slot][index]
            if entry.deadline <= now {
                self.remove(entry.owner)
                self.due.append(entry.owner)
            } else {
                index += 1
            }
        }
    }

    private func remove(_ owner: Owner) {
        let slot = Int(owner.wheelPosition.slot)
        let index = Int(owner.wheelPosition.index)
        let last = self.slots[slot].removeLast()
        if index < self.slots[slot].count {
            self.slots[slot][index] = last
            last.owner.wheelPosition.index = Int32(index)
        }
        if self.slots[slot].isEmpty { self.occupied[slot >> 6] &= ~(1 << UInt64(slot & 63)) }
        owner.wheelPosition = .none
        self.count -= 1
    }

    /// The first tick from `cursor` on whose slot holds an entry; nil when the wheel is empty.
    private func nextOccupiedTick() -> Int64? {
        guard self.count > 0 else { return nil }
        let start = Int(self.cursor & Self.slotMask)
        let words = self.occupied.count
        for step in 0...words {
            let word = (start >> 6 + step) % words
            var bits = self.occupied[word]
            if step == 0 { bits &= ~0 << UInt64(start & 63) }  // slots before the cursor come last
            if step == words { bits &= ~(~0 << UInt64(start & 63)) }
            guard bits != 0 else { continue }
            let slot = word << 6 + bits.trailingZeroBitCount
            return self.cursor + Int64((slot - start + Self.slotCount) % Self.slotCount)
        }
        return nil
    }

    /// Makes sure the loop's callback runs at `tick` or earlier.
    private func wake(at tick: Int64) {
        guard tick < self.callbackTick else { return }
        self.callback?.cancel()
        self.callbackTick = tick
        let nanoseconds = UInt64(max(tick * Self.tickMilliseconds, 0)) * 1_000_000
        self.callback = try? self.eventLoop.assumeIsolated().scheduleCallback(at: .uptimeNanoseconds(nanoseconds), handler: self)
    }
}
