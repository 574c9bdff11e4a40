import Foundation
import LogmillSinks
import LogmillTime

extension SinkContext {
    /// The system clock, a buffer for printed output and the process environment.
    static var testing: SinkContext { testing(base: "") }
    static func testing(base: String) -> SinkContext {
        SinkContext(base: base, clock: SystemClock(), output: TextBuffer(), environment: ProcessInfo.processInfo.environment)
    }
}
