import NIOCore
import Synchronization

/// Delivery acknowledgements released for the publishers of one loop, from any thread (a member's
/// loop, the store's commit thread). Posting is a short lock and an append; the loop is woken with
/// one `execute` only when the inbox was empty, so a burst of acknowledgements costs one hop and
/// one flush, not a closure, a task and maybe a wake-up per message. `@unchecked`: the only
/// mutable state is `draining` (on the loop only) and `core` (written once, in `init`).
final class AcknowledgementInbox: @unchecked Sendable {
    private let waiting = Mutex<[DeliveryAcknowledgement]>([])
    /// Touched on `loop` only: the batch being told, swapped with `waiting` so that neither
    /// array is reallocated in steady state.
    private var draining: [DeliveryAcknowledgement] = []
    private let loop: any EventLoop
    private let routerIndex: Int
    /// Weak: an acknowledgement released after the broker stopped (a task still queued on the
    /// loop) finds no core and is dropped, instead of touching a freed one. Set once, in `init`.
    private weak var core: BrokerCore?

    init(loop: any EventLoop, routerIndex: Int, core: BrokerCore) {
        self.loop = loop
        self.routerIndex = routerIndex
        self.core = core
    }

    func post(_ acknowledgement: DeliveryAcknowledgement) {
        let first = self.waiting.withLock { waiting in
            waiting.append(acknowledgement)
            return waiting.count == 1
        }
        if first { self.loop.execute { self.drain() } }
    }

    private func drain() {
        self.waiting.withLock { swap(&$0, &self.draining) }
        for acknowledgement in self.draining { acknowledgement.tellPublisher() }
        self.draining.removeAll(keepingCapacity: true)
        self.core?.routers[self.routerIndex].value.flush()
    }
}
