import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) for tests: one thread per connection,
/// every request recorded, `Connection: close` on every answer. What it does with a request comes
/// either from a script (answers taken in order, then `fallback`) or from a handler that sees the
/// request. Besides answering it can drop the connection (before or after reading the body) or
/// answer late, for the clients' fault handling. Bodies may be sent with Content-Length or chunked.
public final class TestHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: Data
        /// How the server answered: a status, or nil when it closed the connection or the client gave up.
        public var answered: Int?
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    }

    public enum Action: Sendable {
        case respond(status: Int, body: Data, headers: [(String, String)])
        /// Read the whole request, then close without answering.
        case close
        /// Read the request line and headers, then close without reading the body or answering.
        /// (Scripted servers only: a handler sees the request after its body was read.)
        case closeMidRequest
        /// Wait, then answer (the client has usually timed out by then).
        case delay(seconds: Double, status: Int)
        /// Answer with the request itself as the body (request line, every header, the body), as
        /// servers that echo a bad request in their error do.
        case echo(status: Int)
        /// Send the status line, headers and half of `body` (announcing all of it), then close.
        case closeMidBody(status: Int, body: Data)

        /// A redirect (`Location: target`).
        public static func redirect(to target: String, status: Int = 307) -> Action {
            .respond(status: status, body: Data("moved to \(target)".utf8), headers: [("Location", target)])
        }

        /// A JSON answer (`Content-Type: application/json`), as the sink endpoints give.
        public static func status(_ code: Int, _ body: String = "", headers: [(String, String)] = []) -> Action {
            .respond(status: code, body: Data(body.utf8), headers: [("Content-Type", "application/json")] + headers)
        }

        /// An answer with exactly the headers given.
        public static func ok(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> Action {
            .respond(status: status, body: Data(text.utf8), headers: headers.map { ($0.key, $0.value) })
        }
    }

    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    /// The same as `url`.
    public var baseURL: String { url }

    private let listenFD: Int32
    private let lock = NSLock()
    private var script: [Action]
    private let fallback: Action
    private let handler: (@Sendable (Request) -> Action)?
    private var _requests: [Request] = []
    private var stopped = false
    private let finished = DispatchGroup()

    /// Answers from `script` in order, then `fallback` for every further request.
    public convenience init(script: [Action] = [], fallback: Action = .status(200, "{}")) throws {
        try self.init(script: script, fallback: fallback, handler: nil)
    }

    /// Answers each request as `handler` says.
    public convenience init(handler: @escaping @Sendable (Request) -> Action) throws {
        try self.init(script: [], fallback: .close, handler: handler)
    }

    private init(script: [Action], fallback: Action, handler: (@Sendable (Request) -> Action)?) throws {
        self.script = script
        self.fallback = fallback
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard let bound = Self.bindLoopback(fd), listen(fd, 64) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        listenFD = fd
        port = bound
        finished.enter()
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    public var requests: [Request] {
        lock.lock(); defer { lock.unlock() }
        return _requests
    }

    /// Stops accepting; connections in progress finish on their own.
    public func stop() {
        lock.lock()
        let was = stopped
        stopped = true
        lock.unlock()
        if was { return }
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        _ = finished.wait(timeout: .now() + 2)
    }

    /// A port nobody listens on (bound once, then closed).
    public static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return bindLoopback(fd) ?? 0
    }

    /// Binds `fd` to 127.0.0.1 on an ephemeral port; the port, or nil when binding failed.
    static func bindLoopback(_ fd: Int32) -> Int? {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    private func nextScripted() -> Action {
        lock.lock(); defer { lock.unlock() }
        return script.isEmpty ? fallback : script.removeFirst()
    }

    private func record(_ r: Request) -> Int {
        lock.lock(); defer { lock.unlock() }
        _requests.append(r)
        return _requests.count - 1
    }

    private func setAnswered(_ i: Int, _ status: Int?) {
        lock.lock(); defer { lock.unlock() }
        _requests[i].answered = status
    }

    private func acceptLoop() {
        defer { finished.leave() }
        while true {
            let c = accept(listenFD, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            lock.lock()
            let done = stopped
            lock.unlock()
            if done { close(c); return }
            Thread.detachNewThread { [self] in handle(c) }
        }
    }

    // MARK: - One connection: one request, then close

    private func handle(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8]()
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return false }
            buffer += chunk[0..<n]
            return true
        }
        func write(_ bytes: [UInt8]) -> Bool {
            var sent = 0
            while sent < bytes.count {
                let from = sent
                let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + from, bytes.count - from, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                sent += n
            }
            return true
        }
        // Request line and headers.
        var headerEnd: Int?
        while headerEnd == nil {
            if let r = find(buffer, [13, 10, 13, 10]) { headerEnd = r; break }
            if !fill() { return }
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
        buffer.removeFirst(headerEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for l in lines {
            guard let colon = l.firstIndex(of: ":") else { continue }
            headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let scripted = handler == nil ? nextScripted() : nil
        var request = Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: Data(), answered: nil)
        if case .closeMidRequest? = scripted {
            _ = record(request)
            return
        }
        if headers["expect"]?.lowercased() == "100-continue" { _ = write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
        // Body: Content-Length or chunked.
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            var body = [UInt8]()
            while true {
                var lineEnd: Int?
                while lineEnd == nil {
                    if let r = find(buffer, [13, 10]) { lineEnd = r; break }
                    if !fill() { return }
                }
                let sizeText = String(decoding: buffer[0..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? "0"
                let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
                buffer.removeFirst(lineEnd! + 2)
                while buffer.count < size + 2 { if !fill() { return } }
                body += buffer[0..<size]
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
            request.body = Data(body)
        } else {
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < length { if !fill() { return } }
            request.body = Data(buffer[0..<length])
            buffer.removeFirst(length)
        }
        let index = record(request)
        let action = scripted ?? handler!(request)
        let status: Int
        var body = Data()
        var extra: [(String, String)] = []
        var announced: Int?
        switch action {
        case .respond(let s, let b, let h): status = s; body = b; extra = h
        case .echo(let s):
            status = s
            var echoed = "\(request.method) \(request.path)\n"
            for (k, v) in request.headers.sorted(by: { $0.key < $1.key }) { echoed += "\(k): \(v)\n" }
            body = Data((echoed + "\n").utf8) + request.body
            extra = [("Content-Type", "text/plain")]
        case .closeMidBody(let s, let b):
            status = s
            announced = b.count
            body = b.prefix(b.count / 2)
        case .delay(let seconds, let s):
            Thread.sleep(forTimeInterval: seconds)
            status = s
            extra = [("Content-Type", "application/json")]
        case .close, .closeMidRequest: return
        }
        var response = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Length: \(announced ?? body.count)\r\n"
        for (k, v) in extra { response += "\(k): \(v)\r\n" }
        response += "Connection: close\r\n\r\n"
        // Marked before sending: the client may read the answer (and the test the record) at once.
        // A delayed answer stays unmarked: the client gave up on it long before.
        if case .delay = action {} else { setAnswered(index, status) }
        if !write(Array(response.utf8) + Array(body)) { setAnswered(index, nil) }
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if Array(hay[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    static func reason(_ s: Int) -> String {
        switch s {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}
