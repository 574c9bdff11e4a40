import Foundation
import LogmillTime
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server for the daemon's few read-only paths: accepts on one thread, answers each
/// connection on a concurrent queue (at most `maxConnections` at once), one request per connection
/// (`Connection: close`). It reads the request line and headers only, up to `maxRequestBytes` (a
/// longer head gets 431), with a few seconds' timeout on every read and write; GET and HEAD are
/// answered by the handler, other methods get 405. IPv4; 127.0.0.1 unless told otherwise.
public final class HTTPListener: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        /// The path without its query string.
        public var path: String
        /// Header names lower-cased.
        public var headers: [String: String]
        /// The listener's address (`HOST:PORT`), for answers that name it.
        public var listenAddress: String
    }

    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: String
        public var headers: [(String, String)] = []
        public init(status: Int, contentType: String, body: String) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    public struct ListenError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static let maxRequestBytes = 16 * 1024
    public static let maxConnections = 16
    public static let timeoutSeconds = 5

    /// The address bound, with the port the kernel chose when 0 was asked for.
    public let host: String
    public let port: UInt16
    public var address: String { "\(host):\(port)" }

    private let fd: Int32
    private let handler: @Sendable (Request) -> Response
    private let connections = DispatchQueue(label: "logmill.http.connections", attributes: .concurrent)
    private let slots = DispatchSemaphore(value: HTTPListener.maxConnections)
    private let lock = NSLock()
    private var stopped = false
    private var started = false
    private let finished = DispatchSemaphore(value: 0)
    /// Waits through it when the process is out of file descriptors.
    private let clock: any Clock

    /// Binds `address` (`HOST:PORT`, `:PORT` or `PORT`; host 127.0.0.1 by default, `localhost` is
    /// 127.0.0.1, port 0 lets the kernel choose) and listens. `start()` begins accepting.
    public init(address: String, clock: any Clock = SystemClock(), handler: @escaping @Sendable (Request) -> Response) throws {
        self.clock = clock
        var host = "127.0.0.1"
        var portText = address
        if let colon = address.lastIndex(of: ":") {
            let h = String(address[..<colon])
            if !h.isEmpty { host = h == "localhost" ? "127.0.0.1" : h }
            portText = String(address[address.index(after: colon)...])
        }
        guard let wanted = UInt16(portText) else { throw ListenError(description: "--listen \(address): expected HOST:PORT, as in 127.0.0.1:9464") }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = wanted.bigEndian
        guard inet_pton(AF_INET, host, &sin.sin_addr) == 1 else { throw ListenError(description: "--listen \(address): '\(host)' is not an IPv4 address") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenError(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw ListenError(description: "cannot listen on \(host):\(wanted): \(why)")
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        self.host = host
        self.port = UInt16(bigEndian: actual.sin_port)
        self.handler = handler
    }

    /// Accepts connections on a thread of its own until `stop()`.
    public func start() {
        guard lock.withLock({ () -> Bool in defer { started = true }; return !started && !stopped }) else { return }
        let thread = Thread { [self] in
            while true {
                slots.wait()
                let c = accept(fd, nil, nil)
                if c < 0 {
                    slots.signal()
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    if lock.withLock({ stopped }) { break }
                    if errno == EMFILE || errno == ENFILE { clock.sleep(seconds: 0.01); continue }
                    break
                }
                _ = fcntl(c, F_SETFD, FD_CLOEXEC)
                connections.async { [self] in
                    serve(c)
                    close(c)
                    slots.signal()
                }
            }
            finished.signal()
        }
        thread.name = "logmill-http"
        thread.start()
    }

    /// Stops accepting (connections being answered finish) and closes the socket.
    public func stop() {
        let (already, accepting) = lock.withLock { () -> (Bool, Bool) in defer { stopped = true }; return (stopped, started) }
        guard !already else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        if accepting { finished.wait() }
        close(fd)
    }

    private func serve(_ c: Int32) {
        var tv = timeval(tv_sec: HTTPListener.timeoutSeconds, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var head: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = [13, 10, 13, 10]
        while true {
            if let r = find(end, in: head) { head.removeSubrange(r.lowerBound...); break }
            if head.count > HTTPListener.maxRequestBytes {
                return send(c, Response(status: 431, contentType: "text/plain; charset=utf-8", body: "request head too large\n"), head: false)
            }
            let n = recv(c, &buf, buf.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }   // closed, or timed out before a whole head came
            head += buf[0..<n]
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1."), parts[1].hasPrefix("/") else {
            return send(c, Response(status: 400, contentType: "text/plain; charset=utf-8", body: "bad request\n"), head: false)
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let method = String(parts[0])
        let target = String(parts[1])
        let path = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
        guard method == "GET" || method == "HEAD" else {
            var r = Response(status: 405, contentType: "text/plain; charset=utf-8", body: "only GET\n")
            r.headers = [("Allow", "GET, HEAD")]
            return send(c, r, head: false)
        }
        send(c, handler(Request(method: method, path: path, headers: headers, listenAddress: address)), head: method == "HEAD")
    }

    private func find(_ needle: [UInt8], in hay: [UInt8]) -> Range<Int>? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
            return i..<(i + needle.count)
        }
        return nil
    }

    private static let reasons = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 431: "Request Header Fields Too Large", 500: "Internal Server Error"]

    private func send(_ c: Int32, _ r: Response, head: Bool) {
        let body = Array(r.body.utf8)
        var text = "HTTP/1.1 \(r.status) \(HTTPListener.reasons[r.status] ?? "Status")\r\nContent-Type: \(r.contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (k, v) in r.headers { text += "\(k): \(v)\r\n" }
        var bytes = Array((text + "\r\n").utf8)
        if !head { bytes += body }
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Glibc.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }
}
