import CRdKafka

enum RDKafkaProduce {
    /// Enqueues one message with `rd_kafka_produceva`: the non-variadic form of
    /// `rd_kafka_producev`, and the only non-variadic produce call that takes a timestamp
    /// (`rd_kafka_produce` has none). The argument array lives on the stack; librdkafka copies
    /// key and value (`RD_KAFKA_MSG_F_COPY`), so the caller's buffers are free on return.
    /// The partition is left to the configured partitioner (by key).
    static func produce(
        client: RDKafkaClient,
        topic: OpaquePointer,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer,
        timestamp: Int64?,
        opaque: UInt64
    ) -> KafkaError? {
        withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 6) { arguments in
            var count = 0
            func append(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t) -> Void) {
                var argument = rd_kafka_vu_t()
                argument.vtype = type
                set(&argument)
                arguments.baseAddress!.advanced(by: count).initialize(to: argument)
                count += 1
            }
            append(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = topic }
            append(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
            append(RD_KAFKA_VTYPE_VALUE) {
                $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                $0.u.mem.size = value.count
            }
            if let key {
                append(RD_KAFKA_VTYPE_KEY) {
                    $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                    $0.u.mem.size = key.count
                }
            }
            // The token travels as the message's opaque pointer value: no allocation per message.
            append(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(opaque)) }
            if let timestamp {
                append(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp }
            }
            guard let error = rd_kafka_produceva(client.handle, arguments.baseAddress, count) else { return nil }
            return RDKafkaErrorCode.consume(error)
        }
    }
}
