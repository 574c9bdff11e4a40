import Foundation

/// A fresh, uniquely named directory under the system's temporary directory, removed with
/// everything in it by `cleanup()` or, at the latest, when the object goes away. Keep the object
/// alive while the directory is used (`defer { tmp.cleanup() }` does).
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String
    public var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    /// `prefix` starts the directory's name (a UUID follows).
    public init(prefix: String = "logmill") {
        path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { cleanup() }

    public func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}
