/// Hands out MQTT packet identifiers (1...65535) round robin, skipping those still in use, so an
/// identifier is reused as late as possible and never while its exchange is open.
struct PacketIDAllocator: Sendable {
    private var next: UInt16 = 1

    mutating func allocate(isInUse: (UInt16) -> Bool) -> UInt16? {
        for _ in 0..<Int(UInt16.max) {
            let candidate = self.next
            self.next = candidate == .max ? 1 : candidate + 1
            if !isInUse(candidate) { return candidate }
        }
        return nil
    }
}
