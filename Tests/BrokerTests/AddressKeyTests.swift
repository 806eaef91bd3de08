import NIOCore
import Testing

@testable import Broker

/// The per-address cap counts hosts by their address bits.
@Suite struct AddressKeyTests {
    @Test func anIPv4MappedAddressIsTheSameHostAsItsIPv4Address() throws {
        let v4 = try AddressKey(SocketAddress(ipAddress: "192.0.2.7", port: 1000))
        let mapped = try AddressKey(SocketAddress(ipAddress: "::ffff:192.0.2.7", port: 2000))
        #expect(v4 != nil)
        #expect(v4 == mapped)
    }

    @Test func differentHostsHaveDifferentKeys() throws {
        let keys = try ["192.0.2.7", "192.0.2.8", "2001:db8::7", "2001:db8::8", "::192.0.2.7", "::1"].map {
            try AddressKey(SocketAddress(ipAddress: $0, port: 1))
        }
        #expect(Set(keys).count == keys.count)
        let samePortless = try AddressKey(SocketAddress(ipAddress: "2001:db8::7", port: 9))
        #expect(samePortless == keys[2])
    }

    @Test func aUnixSocketHasNoKey() throws {
        #expect(AddressKey(try SocketAddress(unixDomainSocketPath: "/tmp/broker.sock")) == nil)
    }
}
