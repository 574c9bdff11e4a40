import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) for tests: one thread per connection,
/// `Connection: close` on every answer. The handler can also drop the connection without answering.
public final class ScriptedHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Lower-cased names.
        public var headers: [String: String]
        public var body: Data
    }

    public enum Reply: Sendable {
        case respond(status: Int, headers: [String: String], body: Data)
        case close
        public static func ok(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> Reply {
            .respond(status: status, headers: headers, body: Data(text.utf8))
        }
    }

    public let port: UInt16
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private let fd: Int32
    private let lock = NSLock()
    private var _requests: [Request] = []
    private let handler: @Sendable (Request) -> Reply

    public var requests: [Request] {
        lock.lock(); defer { lock.unlock() }
        return _requests
    }

    public init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard sock >= 0 else { throw NSError(domain: "ScriptedHTTPServer", code: 1) }
        var one: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(sock, 64) == 0 else { close(sock); throw NSError(domain: "ScriptedHTTPServer", code: 2) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) }
        }
        fd = sock
        port = UInt16(bigEndian: addr.sin_port)
        let t = Thread { [self] in self.acceptLoop() }
        t.start()
    }

    public func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            let t = Thread { [self] in self.serve(c) }
            t.start()
        }
    }

    private func serve(_ c: Int32) {
        defer { close(c) }
        var buf = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = recv(c, &chunk, chunk.count, 0)
            if n <= 0 { return }
            buf += chunk[0..<n]
            if let r = findCRLFCRLF(buf) { headerEnd = r }
        }
        let head = String(decoding: buf[0..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for l in lines {
            guard let colon = l.firstIndex(of: ":") else { continue }
            headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(buf[(headerEnd! + 4)...])
        while body.count < length {
            let n = recv(c, &chunk, chunk.count, 0)
            if n <= 0 { break }
            body += chunk[0..<n]
        }
        let req = Request(method: requestLine.first.map(String.init) ?? "", path: requestLine.count > 1 ? String(requestLine[1]) : "/",
                          headers: headers, body: Data(body))
        lock.lock(); _requests.append(req); lock.unlock()
        switch handler(req) {
        case .close:
            return
        case .respond(let status, let hs, let b):
            var text = "HTTP/1.1 \(status) X\r\nContent-Length: \(b.count)\r\nConnection: close\r\n"
            for (k, v) in hs { text += "\(k): \(v)\r\n" }
            text += "\r\n"
            let out = Array(text.utf8) + Array(b)
            let total = out.count
            var sent = 0
            while sent < total {
                let from = sent
                let n = out.withUnsafeBytes { send(c, $0.baseAddress! + from, total - from, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { break }
                sent += n
            }
        }
    }

    private func findCRLFCRLF(_ b: [UInt8]) -> Int? {
        if b.count < 4 { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}
