/// Validates bytes as one JSON object (RFC 8259, UTF-8) without building anything, and reports
/// byte ranges: the object's, and that of one named top-level member found in the same pass.
///
/// The scan is iterative (a depth stack, no recursion) and allocates nothing on valid input of
/// ordinary size: its buffers are temporary allocations, on the stack while they are small.
///
/// Strict where RFC 8259 leaves the outcome to the reader, so that every consumer of a document
/// reads the same thing: duplicate member names (also spelt with escapes), unpaired UTF-16
/// surrogate escapes and numbers beyond a double's range are invalid.
public enum JSONScanner {
    public struct ScannedObject: Sendable, Hashable {
        /// From `{` to `}` inclusive.
        public var object: JSONValue
        /// The top-level member asked for; nil when there is none (or none was asked for).
        public var member: JSONValue?
    }

    /// - Parameters:
    ///   - maximumDepth: how many objects and arrays may nest; deeper is refused, which bounds
    ///     the work per byte.
    ///   - member: the name of the top-level member to report.
    public static func scanObject(
        _ bytes: UnsafeRawBufferPointer, maximumDepth: Int, member: StaticString? = nil
    ) -> Result<ScannedObject, JSONScanFailure> {
        precondition(maximumDepth >= 0, "a negative depth limit")
        let name = member.map { UnsafeRawBufferPointer(start: $0.utf8Start, count: $0.utf8CodeUnitCount) }
        return withUnsafeTemporaryAllocation(of: OpenContainer.self, capacity: maximumDepth) { containers in
            // A member takes at least 4 bytes (`"":0`): room for every name of the document.
            withUnsafeTemporaryAllocation(of: NameSpan.self, capacity: bytes.count / 4 + 2) { names in
                var scan = ValidatingScan(bytes: bytes, containers: containers, names: names, member: name)
                return scan.run()
            }
        }
    }

    public static func scanObject(_ bytes: [UInt8], maximumDepth: Int, member: StaticString? = nil) -> Result<ScannedObject, JSONScanFailure> {
        bytes.withUnsafeBytes { scanObject($0, maximumDepth: maximumDepth, member: member) }
    }
}
