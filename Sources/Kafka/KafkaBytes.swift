import NIOCore

/// Contiguous bytes that can be lent to librdkafka without copying them first.
protocol KafkaBytes {
    func withKafkaBytes(_ body: (UnsafeRawBufferPointer) throws(KafkaError) -> Void) throws(KafkaError)
}

extension ByteBuffer: KafkaBytes {
    func withKafkaBytes(_ body: (UnsafeRawBufferPointer) throws(KafkaError) -> Void) throws(KafkaError) {
        try withUnsafeReadableBytes { bytes in Result { () throws(KafkaError) in try body(bytes) } }.get()
    }
}

extension Array: KafkaBytes where Element == UInt8 {
    func withKafkaBytes(_ body: (UnsafeRawBufferPointer) throws(KafkaError) -> Void) throws(KafkaError) {
        try withUnsafeBytes { bytes in Result { () throws(KafkaError) in try body(bytes) } }.get()
    }
}
