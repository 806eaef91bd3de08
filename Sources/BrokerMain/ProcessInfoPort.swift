import Foundation
enum ProcessInfoPort {
    static func value(_ name: String) -> Int? { ProcessInfo.processInfo.environment[name].flatMap(Int.init) }
}
