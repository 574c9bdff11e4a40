import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A UDP listener on 127.0.0.1 (ephemeral port) that collects datagrams.
public final class TestUDPListener: @unchecked Sendable {
    public let port: Int
    private let fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        guard let bound = TestHTTPServer.bindLoopback(fd) else { close(fd); throw POSIXError(.EADDRINUSE) }
        self.fd = fd
        port = bound
        var rcvbuf: Int32 = 1 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// Datagrams received until `count` arrived or `quiet` seconds pass without one.
    public func receive(count: Int, quiet: Double = 0.5) -> [String] {
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
