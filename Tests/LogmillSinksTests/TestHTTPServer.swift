import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) for sink tests: one thread per connection,
/// every request recorded, answers taken in order from a script (then `fallback`).
final class TestHTTPServer: @unchecked Sendable {
    struct Request {
        var method: String
        var path: String
        /// Header names lower-cased.
        var headers: [String: String]
        var body: Data
        /// How the server answered: a status, or nil when it closed the connection or the client gave up.
        var answered: Int?
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    }

    enum Action {
        case respond(status: Int, body: String, headers: [(String, String)])
        /// Read the request line and headers, then close without reading the body or answering.
        case closeMidRequest
        /// Wait, then answer (the client has usually timed out by then).
        case delay(seconds: Double, status: Int)

        static func status(_ code: Int, _ body: String = "", headers: [(String, String)] = []) -> Action {
            .respond(status: code, body: body, headers: headers)
        }
    }

    let port: Int
    private let listenFD: Int32
    private let lock = NSLock()
    private var script: [Action]
    private var fallback: Action
    private var _requests: [Request] = []
    private var stopped = false
    private let finished = DispatchGroup()

    init(script: [Action] = [], fallback: Action = .status(200, "{}")) throws {
        self.script = script
        self.fallback = fallback
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listenFD = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        finished.enter()
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    deinit { stop() }

    var url: String { "http://127.0.0.1:\(port)" }

    var requests: [Request] {
        lock.lock(); defer { lock.unlock() }
        return _requests
    }

    /// Stops accepting; connections in progress finish on their own.
    func stop() {
        lock.lock()
        let was = stopped
        stopped = true
        lock.unlock()
        if was { return }
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        _ = finished.wait(timeout: .now() + 2)
    }

    private func nextAction() -> Action {
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

    // MARK: - One connection (requests one after another until the peer closes)

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
        func write(_ s: String) { send(fd, Array(s.utf8), s.utf8.count, Int32(MSG_NOSIGNAL)) }
        while true {
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
            let action = nextAction()
            var request = Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: Data(), answered: nil)
            if case .closeMidRequest = action {
                _ = record(request)
                return
            }
            if headers["expect"]?.lowercased() == "100-continue" { write("HTTP/1.1 100 Continue\r\n\r\n") }
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
            var status: Int
            var body = ""
            var extra: [(String, String)] = []
            switch action {
            case .respond(let s, let b, let h): status = s; body = b; extra = h
            case .delay(let seconds, let s):
                Thread.sleep(forTimeInterval: seconds)
                status = s
            case .closeMidRequest: return
            }
            var response = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Length: \(body.utf8.count)\r\nContent-Type: application/json\r\n"
            for (k, v) in extra { response += "\(k): \(v)\r\n" }
            response += "Connection: close\r\n\r\n" + body
            // Marked before sending: the client may read the answer (and the test the record) at once.
            // A delayed answer stays unmarked: the client gave up on it long before.
            if case .delay = action {} else { setAnswered(index, status) }
            let sent = send(fd, Array(response.utf8), response.utf8.count, Int32(MSG_NOSIGNAL))
            if sent <= 0 { setAnswered(index, nil) }
            return   // Connection: close
        }
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

    /// A port nobody listens on (bound once, then closed).
    static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

/// A UDP listener on 127.0.0.1 that collects datagrams.
final class TestUDPListener: @unchecked Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        var rcvbuf: Int32 = 1 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// Datagrams received until `count` arrived or `quiet` seconds pass without one.
    func receive(count: Int, quiet: Double = 0.5) -> [String] {
        var tv = timeval(tv_sec: Int(quiet), tv_usec: Int((quiet - Double(Int(quiet))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var out: [String] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while out.count < count {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out.append(String(decoding: buf[0..<n], as: UTF8.self))
        }
        return out
    }
}
