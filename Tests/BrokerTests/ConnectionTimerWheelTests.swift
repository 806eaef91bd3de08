import NIOCore
import NIOEmbedded
import Testing

@testable import Broker

/// The per-loop timer wheel on a virtual clock: never early, at most one tick late, O(1)
/// cancel that keeps the other timers of its slot, deadlines beyond one revolution.
@Suite struct ConnectionTimerWheelTests {
    final class Owner: WheelTimed {
        var wheelPosition = WheelPosition.none
        var fired: [Int64] = []
        let loop: EmbeddedEventLoop
        /// Arms again this long after each firing (a keep alive that keeps expiring).
        var rearm: Int64?
        weak var wheel: ConnectionTimerWheel<Owner>?

        init(loop: EmbeddedEventLoop) { self.loop = loop }

        func wheelTimerFired() {
            let now = Int64(self.loop.now.uptimeNanoseconds / 1_000_000)
            self.fired.append(now)
            if let rearm { self.wheel?.arm(self, deadline: now + rearm) }
        }
    }

    private func advance(_ loop: EmbeddedEventLoop, toMilliseconds ms: Int64) {
        loop.advanceTime(to: .uptimeNanoseconds(UInt64(ms) * 1_000_000))
    }

    @Test func firesAtItsDeadlineNeverEarlyAndAtMostOneTickLate() {
        let loop = EmbeddedEventLoop()
        let wheel = ConnectionTimerWheel<Owner>(eventLoop: loop)
        let owner = Owner(loop: loop)
        wheel.arm(owner, deadline: 25)
        self.advance(loop, toMilliseconds: 24)
        #expect(owner.fired.isEmpty)
        self.advance(loop, toMilliseconds: 100)
        #expect(owner.fired.count == 1)
        #expect(owner.fired[0] >= 25 && owner.fired[0] <= 25 + ConnectionTimerWheel<Owner>.tickMilliseconds)
        #expect(wheel.count == 0)
        #expect(!owner.wheelPosition.isArmed)
    }

    @Test func cancellingOneTimerKeepsTheOthersOfItsSlot() {
        let loop = EmbeddedEventLoop()
        let wheel = ConnectionTimerWheel<Owner>(eventLoop: loop)
        let owners = (0..<5).map { _ in Owner(loop: loop) }
        for owner in owners { wheel.arm(owner, deadline: 50) }
        wheel.cancel(owners[0])
        wheel.cancel(owners[3])
        wheel.cancel(owners[3])  // twice is harmless
        #expect(wheel.count == 3)
        self.advance(loop, toMilliseconds: 200)
        #expect(owners.map(\.fired.count) == [0, 1, 1, 0, 1])
    }

    @Test func armingAgainMovesTheTimer() {
        let loop = EmbeddedEventLoop()
        let wheel = ConnectionTimerWheel<Owner>(eventLoop: loop)
        let owner = Owner(loop: loop)
        wheel.arm(owner, deadline: 30)
        wheel.arm(owner, deadline: 500)
        #expect(wheel.count == 1)
        self.advance(loop, toMilliseconds: 400)
        #expect(owner.fired.isEmpty)
        self.advance(loop, toMilliseconds: 600)
        #expect(owner.fired.count == 1)
    }

    /// 100 s is beyond one revolution (4096 ticks of 10 ms): it waits for its turn.
    @Test func aDeadlineBeyondOneRevolutionFiresOnTime() {
        let loop = EmbeddedEventLoop()
        let wheel = ConnectionTimerWheel<Owner>(eventLoop: loop)
        let far = Owner(loop: loop)
        let near = Owner(loop: loop)
        wheel.arm(far, deadline: 100_000)
        wheel.arm(near, deadline: 59_040)  // tick 5904: the slot of `far` (tick 10 000), one revolution earlier
        for second in 1...99 { self.advance(loop, toMilliseconds: Int64(second) * 1000) }
        #expect(near.fired.count == 1)
        #expect(far.fired.isEmpty)
        self.advance(loop, toMilliseconds: 100_050)
        #expect(far.fired.count == 1)
        #expect(far.fired[0] >= 100_000 && far.fired[0] <= 100_010)
    }

    @Test func anOwnerMayArmAgainWhileFiring() {
        let loop = EmbeddedEventLoop()
        let wheel = ConnectionTimerWheel<Owner>(eventLoop: loop)
        let repeating = Owner(loop: loop)
        repeating.wheel = wheel
        repeating.rearm = 100
        let waiting = Owner(loop: loop)
        wheel.arm(repeating, deadline: 100)
        wheel.arm(waiting, deadline: 150)
        self.advance(loop, toMilliseconds: 1000)
        #expect(repeating.fired.count >= 9 && repeating.fired.count <= 10)
        #expect(waiting.fired.count == 1)
        #expect(waiting.fired[0] <= 160)
    }

    /// Many timers with scattered deadlines, some cancelled: each of the rest fires once, in time.
    @Test func thousandsOfTimersEachFireOnceInTime() {
        let loop = EmbeddedEventLoop()
        let wheel = ConnectionTimerWheel<Owner>(eventLoop: loop)
        var generator = SystemRandomNumberGenerator()
        let owners = (0..<5000).map { _ in Owner(loop: loop) }
        var deadlines: [Int64] = []
        for owner in owners {
            let deadline = Int64.random(in: 1...90_000, using: &generator)
            deadlines.append(deadline)
            wheel.arm(owner, deadline: deadline)
        }
        for index in stride(from: 0, to: owners.count, by: 7) { wheel.cancel(owners[index]) }
        var now: Int64 = 0
        while now < 92_000 {
            now += Int64.random(in: 1...700, using: &generator)
            self.advance(loop, toMilliseconds: now)
        }
        for (index, owner) in owners.enumerated() {
            if index % 7 == 0 {
                #expect(owner.fired.isEmpty)
            } else {
                #expect(owner.fired.count == 1)
                #expect(owner.fired.first.map { $0 >= deadlines[index] } == true)
            }
        }
        #expect(wheel.count == 0)
    }
}
