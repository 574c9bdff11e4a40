import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
@testable import LogmillMetrics
@testable import LogmillNet
@testable import LogmillSinks
import LogmillTestSupport
import LogmillTime

// MARK: - Test-side decoders (independent of the encoders under test)

/// A snappy block-format decoder written from format_description.txt, strict about invalid input.
private enum SnappyDecoder {
    struct Invalid: Error, CustomStringConvertible { let description: String }

    static func decode(_ src: [UInt8]) throws -> [UInt8] {
        var i = 0
        var length: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard i < src.count else { throw Invalid(description: "truncated preamble") }
            let b = src[i]; i += 1
            length |= UInt64(b & 0x7f) << shift
            if b < 0x80 { break }
            shift += 7
            guard shift <= 28 else { throw Invalid(description: "preamble too long") }
        }
        guard length <= UInt64(UInt32.max) else { throw Invalid(description: "length over 2^32-1") }
        var out: [UInt8] = []
        out.reserveCapacity(Int(length))
        func le(_ n: Int) throws -> Int {
            guard i + n <= src.count else { throw Invalid(description: "truncated element") }
            var v = 0
            for k in 0..<n { v |= Int(src[i + k]) << (8 * k) }
            i += n
            return v
        }
        while i < src.count {
            let tag = src[i]; i += 1
            var len = 0, offset = 0
            switch tag & 3 {
            case 0:
                let l = Int(tag >> 2)
                len = (l < 60 ? l : try le(l - 59)) + 1
                guard i + len <= src.count else { throw Invalid(description: "literal past the end") }
                out.append(contentsOf: src[i..<(i + len)])
                i += len
                continue
            case 1:
                len = 4 + Int((tag >> 2) & 7)
                offset = Int(tag >> 5) << 8 | (try le(1))
            case 2:
                len = 1 + Int(tag >> 2)
                offset = try le(2)
            default:
                len = 1 + Int(tag >> 2)
                offset = try le(4)
            }
            guard offset > 0, offset <= out.count else { throw Invalid(description: "copy offset \(offset) with \(out.count) bytes produced") }
            for _ in 0..<len { out.append(out[out.count - offset]) }
            guard out.count <= length else { throw Invalid(description: "output longer than the preamble") }
        }
        guard out.count == Int(length) else { throw Invalid(description: "output \(out.count) bytes, preamble says \(length)") }
        return out
    }
}

/// Reads a `prometheus.WriteRequest` back into series.
private enum WriteRequestDecoder {
    struct Invalid: Error { let what: String }

    struct Reader {
        let b: [UInt8]
        var i = 0
        var atEnd: Bool { i >= b.count }
        mutating func varint() throws -> UInt64 {
            var v: UInt64 = 0, s: UInt64 = 0
            while true {
                guard i < b.count, s < 70 else { throw Invalid(what: "varint") }
                let x = b[i]; i += 1
                v |= UInt64(x & 0x7f) << s
                if x < 0x80 { return v }
                s += 7
            }
        }
        mutating func bytes() throws -> [UInt8] {
            let n = Int(try varint())
            guard i + n <= b.count else { throw Invalid(what: "length") }
            defer { i += n }
            return Array(b[i..<(i + n)])
        }
        mutating func fixed64() throws -> UInt64 {
            guard i + 8 <= b.count else { throw Invalid(what: "fixed64") }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
            i += 8
            return v
        }
    }

    static func decode(_ bytes: [UInt8]) throws -> [RemoteWriteSink.Series] {
        var r = Reader(b: bytes)
        var out: [RemoteWriteSink.Series] = []
        while !r.atEnd {
            let key = try r.varint()
            guard key == 0x0a else { throw Invalid(what: "WriteRequest key \(key)") }
            var ts = Reader(b: try r.bytes())
            var series = RemoteWriteSink.Series(labels: [], samples: [])
            while !ts.atEnd {
                let k = try ts.varint()
                var sub = Reader(b: try ts.bytes())
                if k == 0x0a {
                    var name = "", value = ""
                    while !sub.atEnd {
                        let lk = try sub.varint()
                        let s = String(decoding: try sub.bytes(), as: UTF8.self)
                        if lk == 0x0a { name = s } else if lk == 0x12 { value = s } else { throw Invalid(what: "Label key \(lk)") }
                    }
                    series.labels.append((name, value))
                } else if k == 0x12 {
                    var v = 0.0, t: Int64 = 0
                    while !sub.atEnd {
                        let sk = try sub.varint()
                        if sk == 0x09 { v = Double(bitPattern: try sub.fixed64()) } else if sk == 0x10 { t = Int64(bitPattern: try sub.varint()) } else { throw Invalid(what: "Sample key \(sk)") }
                    }
                    series.samples.append((t, v))
                } else {
                    throw Invalid(what: "TimeSeries key \(k)")
                }
            }
            out.append(series)
        }
        return out
    }
}

private func hexBytes(_ s: String) -> [UInt8] {
    s.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
}

// MARK: - A scripted HTTP server on 127.0.0.1

/// Answers each request with the next scripted status (the last one repeats) and records what it got.
private final class StubHTTPServer: @unchecked Sendable {
    struct Received {
        var method: String
        var path: String
        var headers: [String: String]
        var body: [UInt8]
    }

    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var script: [(status: Int, body: String)]
    private var _received: [Received] = []
    var received: [Received] { lock.lock(); defer { lock.unlock() }; return _received }
    var url: String { "http://127.0.0.1:\(port)" }

    init(_ script: [(status: Int, body: String)]) throws {
        self.script = script
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(sock, 16) == 0 else { close(sock); throw XCTSkip("cannot listen on 127.0.0.1; this test needs a loopback interface") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
        fd = sock
        port = UInt16(bigEndian: addr.sin_port)
        let t = Thread { [self] in self.serve() }
        t.start()
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            handle(c)
            close(c)
        }
    }

    private func handle(_ c: Int32) {
        var buf: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        func fill() -> Bool {
            let n = read(c, &chunk, chunk.count)
            if n <= 0 { return false }
            buf.append(contentsOf: chunk[0..<n])
            return true
        }
        let sep: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd = -1
        while headerEnd < 0 {
            if buf.count >= 4 {
                for i in 0...(buf.count - 4) where Array(buf[i..<(i + 4)]) == sep { headerEnd = i; break }
            }
            if headerEnd < 0 && !fill() { return }
        }
        let head = String(decoding: buf[0..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = head[0].split(separator: " ")
        var headers: [String: String] = [:]
        for h in head.dropFirst() {
            guard let colon = h.firstIndex(of: ":") else { continue }
            headers[h[..<colon].lowercased()] = h[h.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if headers["expect"]?.lowercased() == "100-continue" {
            let cont = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            _ = write(c, cont, cont.count)
        }
        var body = Array(buf[(headerEnd + 4)...])
        if let n = headers["content-length"].flatMap({ Int($0) }) {
            while body.count < n {
                let before = buf.count
                if !fill() { break }
                body.append(contentsOf: buf[before...])
            }
        } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
            // Read until the terminating zero chunk, then de-chunk.
            while !String(decoding: body, as: UTF8.self).contains("\r\n0\r\n\r\n") && !(body.starts(with: Array("0\r\n\r\n".utf8))) {
                let before = buf.count
                if !fill() { break }
                body.append(contentsOf: buf[before...])
            }
            var plain: [UInt8] = []
            var i = 0
            while i < body.count {
                var j = i
                while j + 1 < body.count && !(body[j] == 13 && body[j + 1] == 10) { j += 1 }
                let size = Int(String(decoding: body[i..<j], as: UTF8.self), radix: 16) ?? 0
                if size == 0 { break }
                plain.append(contentsOf: body[(j + 2)..<(j + 2 + size)])
                i = j + 2 + size + 2
            }
            body = plain
        }
        lock.lock()
        _received.append(Received(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body))
        let answer = script.count > 1 ? script.removeFirst() : script[0]
        lock.unlock()
        let reason = [200: "OK", 204: "No Content", 400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error"][answer.status] ?? "Status"
        let payload = Array(answer.body.utf8)
        let response = Array("HTTP/1.1 \(answer.status) \(reason)\r\nContent-Type: text/plain\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n".utf8) + payload
        _ = response.withUnsafeBufferPointer { write(c, $0.baseAddress, $0.count) }
    }
}

// MARK: - Helpers

/// A client that retries without sleeping: its waits go to a manual clock.
private func fastClient(attempts: Int = 5) -> HTTPClient {
    var p = RetryPolicy()
    p.maxAttempts = attempts
    p.timeout = 10
    return HTTPClient(policy: p, clock: ManualClock())
}

private func runProcess(_ path: String, _ args: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let input = Pipe()
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

private func findExecutable(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// Parses `name{a="x",b="y"} value [ts]` exposition lines (0.0.4) into (name, labels, value).
private func parseExposition(_ text: String) -> [(name: String, labels: [String: String], value: String)] {
    var out: [(String, [String: String], String)] = []
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        let chars = Array(line)
        var i = 0
        var name = ""
        while i < chars.count, chars[i] != "{", chars[i] != " " { name.append(chars[i]); i += 1 }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while i < chars.count, chars[i] != "}" {
                var k = ""
                while chars[i] != "=" { k.append(chars[i]); i += 1 }
                i += 2 // ="
                var v = ""
                while chars[i] != "\"" {
                    if chars[i] == "\\" {
                        i += 1
                        v.append(chars[i] == "n" ? "\n" : chars[i])
                    } else {
                        v.append(chars[i])
                    }
                    i += 1
                }
                i += 1
                if i < chars.count, chars[i] == "," { i += 1 }
                labels[k] = v
            }
            i += 1
        }
        let rest = String(chars[i...]).split(separator: " ")
        out.append((name, labels, rest.first.map(String.init) ?? ""))
    }
    return out
}

private func httpGet(_ url: String) throws -> HTTPResponse {
    try fastClient().send(HTTPRequest(method: "GET", url: URL(string: url)!))
}

private let sampleDatums = [
    MetricDatum(namespace: "Logmill/Lambda", name: "MaxMemoryUsed", dimensions: [("FunctionName", "orders-api")], timestamp: 1_793_491_200_000,
                unit: .bytes, value: .statistics(StatisticSet(sampleCount: 3, sum: 250e6, minimum: 60e6, maximum: 100e6))),
    MetricDatum(namespace: "Logmill/Lambda", name: "Errors", dimensions: [("FunctionName", "orders-api")], timestamp: 1_793_491_200_000,
                unit: .count, value: .single(2)),
]

/// snake_case names, every value kind, awkward label values, two bins.
private let snakeDatums: [MetricDatum] = {
    var out: [MetricDatum] = []
    for (i, ts) in [Int64(1_793_491_200_000), 1_793_491_500_000].enumerated() {
        let dims: [(name: String, value: String)] = [("function_name", "orders-api"), ("path", "C:\\DIR\\\"x\"\nnext"), ("region", "eu-west-1")]
        out.append(MetricDatum(namespace: "logmill/lambda", name: "request_duration", dimensions: dims, timestamp: ts, unit: .seconds,
                               value: .statistics(StatisticSet(sampleCount: 3, sum: 2.5 + Double(i), minimum: 0.25, maximum: 1.75))))
        out.append(MetricDatum(namespace: "logmill/lambda", name: "errors", dimensions: dims, timestamp: ts, unit: .count, value: .single(Double(2 + i))))
        out.append(MetricDatum(namespace: "logmill/lambda", name: "payload", dimensions: dims, timestamp: ts, unit: .bytes,
                               value: .distribution(values: [100, 2000, 5e-5], counts: [2, 1, 0])))
        out.append(MetricDatum(namespace: "", name: "9 lives.ratio", dimensions: [("empty", "")], timestamp: ts, unit: .none, value: .single(0.5)))
    }
    return out
}()

// MARK: - Snappy

final class PrometheusSnappyTests: XCTestCase {
    /// The WriteRequest of protocols.md §10.3: `logmill_lines_total{job="logmill"}` 42.0 @ 1700000000000.
    static let writeRequestVector = hexBytes("""
    0a 43 0a 1f 0a 08 5f 5f 6e 61 6d 65 5f 5f 12 13 6c 6f 67 6d 69 6c 6c 5f 6c 69 6e 65
    73 5f 74 6f 74 61 6c 0a 0e 0a 03 6a 6f 62 12 07 6c 6f 67 6d 69 6c 6c 12 10 09 00 00
    00 00 00 00 45 40 10 80 d0 95 ff bc 31
    """)

    func testKnownVectors() throws {
        XCTAssertEqual(Snappy.compress([]), [0x00])
        XCTAssertEqual(Snappy.compressLiteralsOnly([]), [0x00])
        XCTAssertEqual(Snappy.compress(Array("hello".utf8)), hexBytes("05 10 68 65 6c 6c 6f"))
        XCTAssertEqual(Snappy.compressLiteralsOnly(Array("hello".utf8)), hexBytes("05 10 68 65 6c 6c 6f"))
        XCTAssertEqual(Snappy.compressLiteralsOnly(Array("xababab".utf8)), hexBytes("07 18 78 61 62 61 62 61 62"))
        XCTAssertEqual(Snappy.compress(Array("xababab".utf8)), hexBytes("07 18 78 61 62 61 62 61 62"), "inputs under 17 bytes are literals, as in the reference")
        XCTAssertEqual(try SnappyDecoder.decode(hexBytes("07 08 78 61 62 01 02")), Array("xababab".utf8), "literal + copy form decodes")
        XCTAssertEqual(Snappy.compress([UInt8](repeating: 0x61, count: 70)), hexBytes("46 00 61 fe 01 00 05 01"))
        XCTAssertEqual(try SnappyDecoder.decode(hexBytes("46 00 61 fe 01 00 05 01")), [UInt8](repeating: 0x61, count: 70))
    }

    func testWriteRequestVectorCompressesLikeTheReference() throws {
        let data = Self.writeRequestVector
        XCTAssertEqual(data.count, 69)
        let reference = hexBytes("""
        45 b0 0a 43 0a 1f 0a 08 5f 5f 6e 61 6d 65 5f 5f 12 13 6c 6f 67 6d 69 6c 6c 5f 6c 69
        6e 65 73 5f 74 6f 74 61 6c 0a 0e 0a 03 6a 6f 62 12 07 6c 09 1c 44 12 10 09 00 00 00
        00 00 00 45 40 10 80 d0 95 ff bc 31
        """)
        XCTAssertEqual(reference.count, 68)
        XCTAssertEqual(Snappy.compress(data), reference, "one copy, exactly as the reference compressor")
        let literal = Snappy.compressLiteralsOnly(data)
        XCTAssertEqual(literal.count, 72)
        XCTAssertEqual(Array(literal.prefix(3)), [0x45, 0xf0, 0x44])
        XCTAssertEqual(Array(literal.dropFirst(3)), data)
        XCTAssertEqual(try SnappyDecoder.decode(reference), data)
        XCTAssertEqual(try SnappyDecoder.decode(literal), data)
    }

    func testPreambleVarints() {
        var out: [UInt8] = []
        Snappy.appendVarint(&out, 64)
        XCTAssertEqual(out, [0x40])
        out = []
        Snappy.appendVarint(&out, 2_097_150)
        XCTAssertEqual(out, [0xfe, 0xff, 0x7f])
    }

    func testRoundTripsAndActuallyCompresses() throws {
        var rng = SeededRandom(seed: 42)
        var inputs: [[UInt8]] = []
        for n in 0..<80 { inputs.append((0..<n).map { _ in UInt8.random(in: 0...3, using: &rng) }) }
        inputs.append((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        inputs.append([UInt8](repeating: 0, count: 200_000))
        var text = ""
        for i in 0..<20_000 { text += "2026-11-01T00:00:\(i % 60)Z REPORT RequestId: r\(i) Duration: \(i % 977).5 ms Memory: \(i % 128) MB\n" }
        let textBytes = Array(text.utf8)
        inputs.append(textBytes)
        inputs.append(RemoteWriteSink.writeRequest(RemoteWriteSink.series(snakeDatums)))
        for input in inputs {
            let c = Snappy.compress(input)
            XCTAssertLessThanOrEqual(c.count, Snappy.maxCompressedLength(input.count))
            XCTAssertEqual(try SnappyDecoder.decode(c), input, "round trip of \(input.count) bytes")
            XCTAssertEqual(try SnappyDecoder.decode(Snappy.compressLiteralsOnly(input)), input)
        }
        let zeros = Snappy.compress([UInt8](repeating: 0, count: 200_000))
        XCTAssertLessThan(zeros.count, 10_000, "runs become copies")
        let compressedText = Snappy.compress(textBytes)
        XCTAssertLessThan(compressedText.count * 3, textBytes.count, "repetitive text compresses over 3x (got \(compressedText.count) of \(textBytes.count))")
        XCTAssertGreaterThan(textBytes.count, 65536 * 3, "several 64 KiB blocks")
    }

    func testDecoderRejectsInvalidStreams() {
        XCTAssertThrowsError(try SnappyDecoder.decode(hexBytes("04 01 00")), "copy first")
        XCTAssertThrowsError(try SnappyDecoder.decode(hexBytes("08 04 61 02 00 00")), "offset 0")
        XCTAssertThrowsError(try SnappyDecoder.decode(hexBytes("08 04 61 02 05 00")), "offset beyond output")
        XCTAssertThrowsError(try SnappyDecoder.decode(hexBytes("06 10 68 65 6c 6c 6f")), "length mismatch")
    }

    /// Cross-check with cramjam (Rust snap) when python3 has it: `pip download cramjam` / `pip install cramjam`.
    func testAgreesWithCramjamWhenAvailable() throws {
        guard let python = findExecutable("python3"), (try? runProcess(python, ["-c", "import cramjam"]))?.status == 0 else {
            throw XCTSkip("python3 with cramjam not available (pip install cramjam); the strict decoder above checks format validity")
        }
        var text = ""
        for i in 0..<5000 { text += "series_\(i % 50){job=\"logmill\",instance=\"\(i % 7)\"} \(i)\n" }
        let inputs: [[UInt8]] = [Array(text.utf8), [UInt8](repeating: 7, count: 1000), PrometheusSnappyTests.writeRequestVector,
                                 RemoteWriteSink.writeRequest(RemoteWriteSink.series(snakeDatums))]
        let tmp = TemporaryDirectory(prefix: "logmill-snappy")
        defer { tmp.cleanup() }
        let dir = tmp.path
        for (i, input) in inputs.enumerated() {
            try Data(input).write(to: URL(fileURLWithPath: "\(dir)/\(i).raw"))
            try Data(Snappy.compress(input)).write(to: URL(fileURLWithPath: "\(dir)/\(i).sz"))
        }
        let script = """
        import cramjam, sys
        d = sys.argv[1]
        for i in range(\(inputs.count)):
            raw = open(f"{d}/{i}.raw", "rb").read(); sz = open(f"{d}/{i}.sz", "rb").read()
            assert bytes(cramjam.snappy.decompress_raw(sz)) == raw, f"decode {i}"
            print(i, "same" if bytes(cramjam.snappy.compress_raw(raw)) == sz else "different")
        """
        let r = try runProcess(python, ["-c", script, dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, inputs.count, r.stdout + r.stderr)
        XCTAssertFalse(r.stdout.contains("different"), "byte-identical to Rust snap: \(r.stdout)")
    }
}

// MARK: - Protobuf and series

final class PrometheusRemoteWriteEncodingTests: XCTestCase {
    func testWriteRequestMatchesTheVector() {
        let s = RemoteWriteSink.Series(labels: [("__name__", "logmill_lines_total"), ("job", "logmill")], samples: [(1_700_000_000_000, 42.0)])
        XCTAssertEqual(RemoteWriteSink.writeRequest([s]), PrometheusSnappyTests.writeRequestVector)
    }

    func testProtobufPrimitives() {
        var w = ProtobufWriter()
        w.varint(0); w.varint(1); w.varint(127); w.varint(128); w.varint(300)
        XCTAssertEqual(w.bytes, [0x00, 0x01, 0x7f, 0x80, 0x01, 0xac, 0x02])
        w = ProtobufWriter()
        w.int64(2, -1)
        XCTAssertEqual(w.bytes, [0x10] + [UInt8](repeating: 0xff, count: 9) + [0x01], "negative int64: ten-byte varint")
        w = ProtobufWriter()
        w.double(1, 42.0)
        XCTAssertEqual(w.bytes, hexBytes("09 00 00 00 00 00 00 45 40"))
        w = ProtobufWriter()
        w.double(1, 0); w.int64(2, 0); w.string(3, "")
        XCTAssertEqual(w.bytes, [], "proto3 defaults are omitted")
        w.double(1, -0.0)
        XCTAssertEqual(w.bytes, hexBytes("09 00 00 00 00 00 00 00 80"))
        XCTAssertEqual(ProtobufWriter.varintSize(1_700_000_000_000), 6)
    }

    func testSeriesFromDatums() throws {
        let d = [
            MetricDatum(namespace: "NS", name: "lat", dimensions: [("Zone", "a"), ("app", "x"), ("empty", "")], timestamp: 2000, unit: .seconds,
                        value: .statistics(StatisticSet(sampleCount: 4, sum: 10, minimum: 1, maximum: 4))),
            MetricDatum(namespace: "NS", name: "hits", dimensions: [("Zone", "a")], timestamp: 3000, unit: .count, value: .single(5)),
            MetricDatum(namespace: "NS", name: "hits", dimensions: [("Zone", "a")], timestamp: 1000, unit: .count, value: .single(3)),
            MetricDatum(namespace: "NS", name: "hits", dimensions: [("Zone", "a")], timestamp: 3000, unit: .count, value: .single(6)),
            MetricDatum(namespace: "NS", name: "nan", dimensions: [("namespace", "dim"), ("__name__", "evil")], timestamp: 1000, unit: .none, value: .single(.nan)),
        ]
        let series = RemoteWriteSink.series(d)
        XCTAssertEqual(series.map(\.name), ["lat_count", "lat_sum", "lat_min", "lat_max", "hits", "nan"])
        XCTAssertEqual(series[0].labels.map(\.name), ["Zone", "__name__", "app", "namespace"], "sorted by byte value, empty values dropped")
        XCTAssertEqual(series[1].samples.map(\.value), [10])
        XCTAssertEqual(series[3].samples.map(\.timestamp), [2000])
        XCTAssertEqual(series[4].samples.map(\.timestamp), [1000, 3000], "ordered by time")
        XCTAssertEqual(series[4].samples.map(\.value), [3, 6], "the later datum for one timestamp wins")
        XCTAssertEqual(series[5].labels.map(\.name), ["__name__", "_name__", "exported_namespace", "namespace"])
        XCTAssertEqual(series[5].labels.first { $0.name == "__name__" }?.value, "nan")
        let decoded = try WriteRequestDecoder.decode(RemoteWriteSink.writeRequest(series))
        XCTAssertEqual(decoded.count, series.count)
        for (a, b) in zip(decoded, series) {
            XCTAssertEqual(a.labels.map(\.name), b.labels.map(\.name))
            XCTAssertEqual(a.labels.map(\.value), b.labels.map(\.value))
            XCTAssertEqual(a.samples.map(\.timestamp), b.samples.map(\.timestamp))
        }
        let nanBits = decoded[5].samples[0].value.bitPattern
        XCTAssertEqual(nanBits, 0x7ff8_0000_0000_0001, "a normal NaN, never the stale marker")
    }

    func testBatchingKeepsSeriesOrderAndLimits() throws {
        var datums: [MetricDatum] = []
        for i in 0..<7 {
            for t in 0..<30 { datums.append(MetricDatum(namespace: "N", name: "m\(i)", dimensions: [], timestamp: Int64(1000 * t), unit: .none, value: .single(Double(t)))) }
        }
        let sink = RemoteWriteSink(url: URL(string: "http://127.0.0.1:1/api/v1/write")!, maxSeries: 3)
        let batches = sink.batches(RemoteWriteSink.series(datums))
        XCTAssertEqual(batches.map(\.count), [3, 3, 1])
        let small = RemoteWriteSink(url: URL(string: "http://127.0.0.1:1/api/v1/write")!, maxBytes: 400)
        let b2 = small.batches(RemoteWriteSink.series(datums))
        XCTAssertGreaterThan(b2.count, 3)
        for b in b2 { XCTAssertLessThanOrEqual(RemoteWriteSink.writeRequest(b).count, 400 + 200) }
        XCTAssertEqual(b2.flatMap { $0 }.map(\.samples.count).reduce(0, +), 210)
        // One huge series is split into consecutive, ordered pieces.
        let huge = RemoteWriteSink.Series(labels: [("__name__", "big")], samples: (0..<25_000).map { (Int64($0), Double($0)) })
        let pieces = sink.batches([huge]).flatMap { $0 }
        XCTAssertEqual(pieces.map(\.samples.count), [10_000, 10_000, 5_000])
        XCTAssertEqual(pieces.flatMap(\.samples).map(\.timestamp), (0..<25_000).map(Int64.init))
    }

    func testDryRunShowsSeriesAndSizes() {
        let sink = RemoteWriteSink(url: URL(string: "http://127.0.0.1:19090/api/v1/write")!)
        let text = sink.render(sampleDatums)
        XCTAssertTrue(text.hasPrefix("POST http://127.0.0.1:19090/api/v1/write (remote write 1.0, protobuf + snappy): 5 series, 5 samples in 1 request(s)\n"), text)
        XCTAssertTrue(text.contains("bytes protobuf"), text)
        XCTAssertTrue(text.contains("  {FunctionName=\"orders-api\",__name__=\"MaxMemoryUsed_max\",namespace=\"Logmill/Lambda\"}\n    100000000 @ 1793491200000 (2026-11-01T00:00:00Z)\n"), text)
    }
}

// MARK: - Text formats

final class PrometheusTextTests: XCTestCase {
    func testFileSinkMapsStatisticSetsToSummaries() {
        let text = PrometheusFileSink(path: "/unused").render(sampleDatums)
        XCTAssertEqual(text, """
        # HELP MaxMemoryUsed MaxMemoryUsed: count and sum of samples (Bytes)
        # TYPE MaxMemoryUsed summary
        MaxMemoryUsed_count{namespace="Logmill/Lambda",FunctionName="orders-api"} 3 1793491200000
        MaxMemoryUsed_sum{namespace="Logmill/Lambda",FunctionName="orders-api"} 250000000 1793491200000
        # HELP MaxMemoryUsed_min MaxMemoryUsed: minimum (Bytes)
        # TYPE MaxMemoryUsed_min gauge
        MaxMemoryUsed_min{namespace="Logmill/Lambda",FunctionName="orders-api"} 60000000 1793491200000
        # HELP MaxMemoryUsed_max MaxMemoryUsed: maximum (Bytes)
        # TYPE MaxMemoryUsed_max gauge
        MaxMemoryUsed_max{namespace="Logmill/Lambda",FunctionName="orders-api"} 100000000 1793491200000
        # HELP Errors Errors (Count)
        # TYPE Errors gauge
        Errors{namespace="Logmill/Lambda",FunctionName="orders-api"} 2 1793491200000

        """)
    }

    func testNameCollisionsAreRenamed() {
        let d = [
            MetricDatum(namespace: "N", name: "x", dimensions: [], timestamp: 1000, unit: .none, value: .statistics(StatisticSet(sampleCount: 1, sum: 2, minimum: 2, maximum: 2))),
            MetricDatum(namespace: "N", name: "x_count", dimensions: [], timestamp: 1000, unit: .none, value: .single(9)),
            MetricDatum(namespace: "N", name: "x", dimensions: [], timestamp: 2000, unit: .none, value: .single(1)),
        ]
        let text = PrometheusFileSink(path: "/unused", timestamps: false).render(d)
        XCTAssertTrue(text.contains("# TYPE x summary\nx_count{namespace=\"N\"} 1\nx_sum{namespace=\"N\"} 2\n"), text)
        XCTAssertTrue(text.contains("# TYPE x_count_2 gauge\nx_count_2{namespace=\"N\"} 9\n"), text)
        XCTAssertTrue(text.contains("# TYPE x_2 gauge\nx_2{namespace=\"N\"} 1\n"), text)
    }

    func testOpenMetricsText() {
        let d = [
            MetricDatum(namespace: "NS", name: "latency", dimensions: [("route", "/a \"b\""), ("empty", "")], timestamp: 1_700_000_000_500, unit: .seconds,
                        value: .statistics(StatisticSet(sampleCount: 2, sum: 0.75, minimum: 0.25, maximum: 0.5))),
            MetricDatum(namespace: "NS", name: "latency", dimensions: [("route", "/a \"b\""), ("empty", "")], timestamp: 1_700_000_000_000, unit: .seconds,
                        value: .statistics(StatisticSet(sampleCount: 1, sum: 0.125, minimum: 0.125, maximum: 0.125))),
            MetricDatum(namespace: "NS", name: "size_bytes", dimensions: [], timestamp: 1_700_000_000_000, unit: .bytes, value: .single(1024)),
            MetricDatum(namespace: "NS", name: "9lives", dimensions: [], timestamp: 1_700_000_000_000, unit: .milliseconds, value: .single(1.5)),
        ]
        let text = OpenMetricsFileSink(path: "/unused").render(d)
        XCTAssertEqual(text, """
        # TYPE latency_seconds summary
        # UNIT latency_seconds seconds
        # HELP latency_seconds latency: count and sum of samples (Seconds)
        latency_seconds_count{namespace="NS",route="/a \\"b\\""} 1 1700000000
        latency_seconds_sum{namespace="NS",route="/a \\"b\\""} 0.125 1700000000
        latency_seconds_count{namespace="NS",route="/a \\"b\\""} 2 1700000000.5
        latency_seconds_sum{namespace="NS",route="/a \\"b\\""} 0.75 1700000000.5
        # TYPE latency_min_seconds gauge
        # UNIT latency_min_seconds seconds
        # HELP latency_min_seconds latency: minimum (Seconds)
        latency_min_seconds{namespace="NS",route="/a \\"b\\""} 0.125 1700000000
        latency_min_seconds{namespace="NS",route="/a \\"b\\""} 0.25 1700000000.5
        # TYPE latency_max_seconds gauge
        # UNIT latency_max_seconds seconds
        # HELP latency_max_seconds latency: maximum (Seconds)
        latency_max_seconds{namespace="NS",route="/a \\"b\\""} 0.125 1700000000
        latency_max_seconds{namespace="NS",route="/a \\"b\\""} 0.5 1700000000.5
        # TYPE size_bytes gauge
        # UNIT size_bytes bytes
        # HELP size_bytes size_bytes (Bytes)
        size_bytes{namespace="NS"} 1024 1700000000
        # TYPE logmill_9lives gauge
        # HELP logmill_9lives 9lives (Milliseconds)
        logmill_9lives{namespace="NS"} 1.5 1700000000
        # EOF

        """)
        let latest = OpenMetricsFileSink(path: "/unused", timestamps: false).render(d)
        XCTAssertTrue(latest.contains("latency_seconds_count{namespace=\"NS\",route=\"/a \\\"b\\\"\"} 2\nlatency_seconds_sum{namespace=\"NS\",route=\"/a \\\"b\\\"\"} 0.75\n"), latest)
        XCTAssertTrue(latest.hasSuffix("# EOF\n"))
        XCTAssertEqual(OpenMetricsFileSink.seconds(1_700_000_000_050), "1700000000.05")
    }

    func testOpenMetricsFileIsAtomicAndFactoryBuildsEveryKind() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-om")
        defer { tmp.cleanup() }
        let dir = tmp.path
        let sink = try SinkRegistry.make(SinkSpec(kind: "openmetrics", arguments: ["out/m.om"]), context: .testing(base: dir))
        XCTAssertEqual(sink.label, "openmetrics \(dir)/out/m.om")
        try sink.emit(snakeDatums)
        XCTAssertEqual(try String(contentsOfFile: dir + "/out/m.om", encoding: .utf8), sink.render(snakeDatums))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/out"), ["m.om"])

        let pg = try SinkRegistry.make(SinkSpec.parse(["pushgateway", "http://127.0.0.1:19091/", "job=logmill", "instance=ci", "path=/var/tmp", "empty=", "env=a b"], line: 3)!, context: .testing)
        XCTAssertEqual((pg as! PushgatewaySink).groupURL, "http://127.0.0.1:19091/metrics/job/logmill/empty@base64/=/env/a%20b/instance/ci/path@base64/L3Zhci90bXA")
        let rw = try SinkRegistry.make(SinkSpec.parse(["remote-write", "http://127.0.0.1:19090/api/v1/write", "max-series=10", "header=X-Scope-OrgID:t1"], line: 4)!, context: .testing)
        XCTAssertEqual((rw as! RemoteWriteSink).maxSeries, 10)
        XCTAssertEqual((rw as! RemoteWriteSink).headers.map(\.value), ["t1"])
        XCTAssertThrowsError(try SinkRegistry.make(SinkSpec(kind: "pushgateway", arguments: ["http://h:9091"]), context: .testing)) { e in
            XCTAssertTrue("\(e)".contains("job=NAME"), "\(e)")
        }
        XCTAssertThrowsError(try SinkRegistry.make(SinkSpec(kind: "remote-write", arguments: ["ftp://h"]), context: .testing))
        XCTAssertThrowsError(try SinkRegistry.make(SinkSpec(kind: "remote-write", arguments: ["http://h/w"], options: ["header": "Content-Type:x"]), context: .testing))
        XCTAssertThrowsError(try SinkRegistry.make(SinkSpec(kind: "remote-write", arguments: ["http://h/w"], options: ["bogus": "1"]), context: .testing))
        XCTAssertTrue(SinkRegistry.kinds.map(\.name).contains("remote-write"))
    }

    /// promtool check metrics (reads stdin; exit 0 clean, 3 lint problems, 1 syntax error).
    func testPromtoolAcceptsEveryExposition() throws {
        guard let promtool = ProcessInfo.processInfo.environment["LOGMILL_TEST_PROMTOOL"] ?? findExecutable("promtool") else {
            throw XCTSkip("promtool not found (LOGMILL_TEST_PROMTOOL unset, not on PATH); apt-get install prometheus")
        }
        let wholeSeconds = snakeDatums
        let files: [(String, String)] = [
            ("0.0.4 file sink", PrometheusFileSink(path: "/unused").render(wholeSeconds)),
            ("0.0.4 file sink without timestamps", PrometheusFileSink(path: "/unused", timestamps: false).render(wholeSeconds)),
            ("pushgateway body", PushgatewaySink(url: "http://x", job: "j").body(wholeSeconds)),
            ("openmetrics", OpenMetricsFileSink(path: "/unused").render(wholeSeconds)),
            ("openmetrics latest", OpenMetricsFileSink(path: "/unused", timestamps: false).render(wholeSeconds)),
        ]
        for (what, text) in files {
            let r = try runProcess(promtool, ["check", "metrics"], stdin: text)
            XCTAssertEqual(r.status, 0, "\(what): \(r.stderr)\n\(text)")
        }
        // CloudWatch-style CamelCase names parse; the only lint is the naming style.
        for text in [PrometheusFileSink(path: "/unused").render(sampleDatums), OpenMetricsFileSink(path: "/unused").render(sampleDatums)] {
            let r = try runProcess(promtool, ["check", "metrics"], stdin: text)
            XCTAssertTrue(r.status == 0 || r.status == 3, r.stderr)
            for line in r.stderr.split(separator: "\n") { XCTAssertTrue(line.contains("camelCase"), "unexpected: \(line)") }
        }
        // The check itself works: a syntax error is exit 1.
        XCTAssertEqual(try runProcess(promtool, ["check", "metrics"], stdin: "x{a=\"b} 1\n").status, 1)
    }

    /// The strictest OpenMetrics parse available: Prometheus' own OpenMetrics parser through
    /// `promtool tsdb create-blocks-from openmetrics`, then every sample read back with `promtool tsdb dump`.
    func testOpenMetricsBackfillsThroughPromtool() throws {
        guard let promtool = ProcessInfo.processInfo.environment["LOGMILL_TEST_PROMTOOL"] ?? findExecutable("promtool") else {
            throw XCTSkip("promtool not found (LOGMILL_TEST_PROMTOOL unset, not on PATH); apt-get install prometheus")
        }
        let tmp = TemporaryDirectory(prefix: "logmill-omb")
        defer { tmp.cleanup() }
        let dir = tmp.path
        var datums = snakeDatums
        datums.append(MetricDatum(namespace: "x", name: "fractional", dimensions: [], timestamp: 1_793_491_200_250, unit: .none, value: .single(-1.5e-7)))
        try OpenMetricsFileSink(path: dir + "/m.om").emit(datums)
        let create = try runProcess(promtool, ["tsdb", "create-blocks-from", "openmetrics", dir + "/m.om", dir + "/tsdb"])
        XCTAssertEqual(create.status, 0, create.stdout + create.stderr)
        try FileManager.default.createDirectory(atPath: dir + "/tsdb/wal", withIntermediateDirectories: true) // dump opens the WAL
        let dump = try runProcess(promtool, ["tsdb", "dump", dir + "/tsdb"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let lines = dump.stdout.split(separator: "\n")
        // 2 bins × (4 request_duration + 1 errors + 4 payload + 1 ratio) + 1 fractional.
        XCTAssertEqual(lines.count, 21, dump.stdout)
        XCTAssertTrue(lines.contains { $0.contains("__name__=\"request_duration_seconds_sum\"") && $0.hasSuffix(" 3.5 1793491500000") }, dump.stdout)
        XCTAssertTrue(lines.contains { $0.contains("__name__=\"payload_max_bytes\"") && $0.hasSuffix(" 2000 1793491200000") }, dump.stdout)
        XCTAssertTrue(lines.contains { $0.contains("__name__=\"logmill_9_lives_ratio\"") && !$0.contains("empty") }, dump.stdout)
        XCTAssertTrue(lines.contains { $0.contains("__name__=\"fractional\"") && $0.hasSuffix(" 1793491200250") }, dump.stdout)
        XCTAssertTrue(lines.contains { $0.contains(#"path="C:\\DIR\\\"x\"\nnext""#) }, dump.stdout)
    }
}

// MARK: - Against a scripted local server

final class PrometheusFaultTests: XCTestCase {
    func testRemoteWriteRetries500ThenSucceeds() throws {
        let server = try StubHTTPServer([(500, "storage hiccup"), (204, "")])
        defer { server.stop() }
        let sink = RemoteWriteSink(url: URL(string: server.url + "/api/v1/write")!, client: fastClient())
        try sink.emit(sampleDatums)
        let got = server.received
        XCTAssertEqual(got.count, 2, "one failed attempt, one successful write")
        XCTAssertEqual(got[0].body, got[1].body, "the retry sends the same request")
        let r = got[1]
        XCTAssertEqual(r.method, "POST")
        XCTAssertEqual(r.path, "/api/v1/write")
        XCTAssertEqual(r.headers["content-encoding"], "snappy")
        XCTAssertEqual(r.headers["content-type"], "application/x-protobuf")
        XCTAssertEqual(r.headers["x-prometheus-remote-write-version"], "0.1.0")
        XCTAssertTrue(r.headers["user-agent"]?.hasPrefix("logmill/") ?? false)
        let series = try WriteRequestDecoder.decode(try SnappyDecoder.decode(r.body))
        XCTAssertEqual(series, RemoteWriteSink.series(sampleDatums))
    }

    func testRemoteWrite400IsNotRetried() throws {
        let server = try StubHTTPServer([(400, "out of bounds"), (204, "")])
        defer { server.stop() }
        let sink = RemoteWriteSink(url: URL(string: server.url + "/api/v1/write")!, client: fastClient())
        XCTAssertThrowsError(try sink.emit(sampleDatums)) { e in
            XCTAssertEqual("\(e)", "remote-write \(server.url)/api/v1/write: HTTP 400: out of bounds")
        }
        XCTAssertEqual(server.received.count, 1, "no retry after a 4xx")
    }

    func testRemoteWrite429IsRetriedAndPersistent5xxGivesUp() throws {
        let server = try StubHTTPServer([(429, "slow down"), (204, "")])
        defer { server.stop() }
        try RemoteWriteSink(url: URL(string: server.url + "/w")!, client: fastClient()).emit(sampleDatums)
        XCTAssertEqual(server.received.count, 2)
        let down = try StubHTTPServer([(503, "unavailable")])
        defer { down.stop() }
        XCTAssertThrowsError(try RemoteWriteSink(url: URL(string: down.url + "/w")!, client: fastClient(attempts: 3)).emit(sampleDatums)) { e in
            XCTAssertTrue("\(e)".contains("HTTP 503: unavailable (gave up after 3 attempts)"), "\(e)")
        }
        XCTAssertEqual(down.received.count, 3)
    }

    func testRemoteWriteBatchesAndReportsPartialFailure() throws {
        var datums: [MetricDatum] = []
        for i in 0..<5 { datums.append(MetricDatum(namespace: "N", name: "m\(i)", dimensions: [], timestamp: 1000, unit: .none, value: .single(Double(i)))) }
        let server = try StubHTTPServer([(204, ""), (204, ""), (400, "bad")])
        defer { server.stop() }
        let sink = try SinkRegistry.make(SinkSpec(kind: "remote-write", arguments: [server.url + "/w"], options: ["max-series": "2", "header": "X-Scope-OrgID:tenant"]), context: .testing)
        XCTAssertThrowsError(try sink.emit(datums)) { e in
            XCTAssertTrue("\(e)".hasSuffix("request 3 of 3: HTTP 400: bad (the 2 earlier request(s) were written)"), "\(e)")
        }
        let got = server.received
        XCTAssertEqual(got.count, 3)
        XCTAssertEqual(got[0].headers["x-scope-orgid"], "tenant")
        let names = try got.flatMap { try WriteRequestDecoder.decode(try SnappyDecoder.decode($0.body)).map(\.name) }
        XCTAssertEqual(names, ["m0", "m1", "m2", "m3", "m4"])
    }

    func testPushgatewayRequestShape() throws {
        let server = try StubHTTPServer([(500, "x"), (200, "")])
        defer { server.stop() }
        let sink = PushgatewaySink(url: server.url, job: "batch/nightly", grouping: [("instance", "ci")], client: fastClient())
        try sink.emit(sampleDatums)
        let got = server.received
        XCTAssertEqual(got.count, 2)
        XCTAssertEqual(got[1].method, "PUT")
        XCTAssertEqual(got[1].path, "/metrics/job@base64/YmF0Y2gvbmlnaHRseQ/instance/ci")
        XCTAssertEqual(got[1].headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        let body = String(decoding: got[1].body, as: UTF8.self)
        XCTAssertEqual(body, PrometheusFileSink(path: "/unused", timestamps: false).render(sampleDatums))
        XCTAssertTrue(body.hasSuffix("\n"))
        XCTAssertTrue(sink.render(sampleDatums).hasPrefix("PUT \(server.url)/metrics/job@base64/YmF0Y2gvbmlnaHRseQ/instance/ci\n"))
        let bad = try StubHTTPServer([(400, "pushed metrics are invalid or inconsistent")])
        defer { bad.stop() }
        XCTAssertThrowsError(try PushgatewaySink(url: bad.url, job: "j", client: fastClient()).emit(sampleDatums)) { e in
            XCTAssertTrue("\(e)".hasSuffix("HTTP 400: pushed metrics are invalid or inconsistent"), "\(e)")
        }
        XCTAssertEqual(bad.received.count, 1)
    }
}

// MARK: - Against real peers (started by .ci/run)

final class PrometheusPeerTests: XCTestCase {
    func peer(_ variable: String) throws -> String {
        guard var url = ProcessInfo.processInfo.environment[variable], !url.isEmpty else {
            throw XCTSkip("\(variable) not set; .ci/run starts Prometheus and the Pushgateway, or locally: source .ci/peers.sh && install_peers && start_peers (README, Set up)")
        }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    func promQuery(_ base: String, _ query: String, time: Double) throws -> [[String: Any]] {
        var c = URLComponents(string: base + "/api/v1/query")!
        c.queryItems = [URLQueryItem(name: "query", value: query), URLQueryItem(name: "time", value: String(format: "%.3f", time))]
        let r = try httpGet(c.url!.absoluteString)
        XCTAssertEqual(r.status, 200, r.text)
        let obj = try JSONSerialization.jsonObject(with: r.body) as! [String: Any]
        return (obj["data"] as! [String: Any])["result"] as! [[String: Any]]
    }

    func testRemoteWriteIntoPrometheus() throws {
        let base = try peer("LOGMILL_TEST_PROMETHEUS")
        let run = "r" + UUID().uuidString.prefix(8).lowercased()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let t0 = now - 120_000 + 123
        let dims: [(name: String, value: String)] = [("run", run), ("path", "/var/log/app.log"), ("quote", "say \"hi\" ✓")]
        let sink = try SinkRegistry.make(SinkSpec(kind: "remote-write", arguments: [base + "/api/v1/write"]), context: .testing)
        try sink.emit([
            MetricDatum(namespace: "Logmill/Test", name: "logmill_rw_value", dimensions: dims, timestamp: t0 + 30_000, unit: .count, value: .single(43)),
            MetricDatum(namespace: "Logmill/Test", name: "logmill_rw_value", dimensions: dims, timestamp: t0, unit: .count, value: .single(42.5)),
            MetricDatum(namespace: "Logmill/Test", name: "logmill_rw_stats", dimensions: [("run", run)], timestamp: t0, unit: .seconds,
                        value: .statistics(StatisticSet(sampleCount: 4, sum: 10, minimum: 1, maximum: 4))),
        ])
        // ~3 h old and older than the series' newest sample: needs the out-of-order window (30d in the CI config).
        let old = t0 - 3 * 3_600_000
        try sink.emit([MetricDatum(namespace: "Logmill/Test", name: "logmill_rw_value", dimensions: dims, timestamp: old, unit: .count, value: .single(7))])

        let nowSeconds = Double(now) / 1000 + 1
        let result = try promQuery(base, "logmill_rw_value{run=\"\(run)\"}[4h]", time: nowSeconds)
        XCTAssertEqual(result.count, 1)
        let metric = result[0]["metric"] as! [String: String]
        XCTAssertEqual(metric, ["__name__": "logmill_rw_value", "namespace": "Logmill/Test", "run": run, "path": "/var/log/app.log", "quote": "say \"hi\" ✓"])
        let values = result[0]["values"] as! [[Any]]
        XCTAssertEqual(values.map { Int64((($0[0] as! NSNumber).doubleValue * 1000).rounded()) }, [old, t0, t0 + 30_000])
        XCTAssertEqual(values.map { $0[1] as! String }, ["7", "42.5", "43"])

        let stats = try promQuery(base, "{__name__=~\"logmill_rw_stats_.*\",run=\"\(run)\"}", time: Double(t0) / 1000 + 1)
        var byName: [String: String] = [:]
        for s in stats { byName[(s["metric"] as! [String: String])["__name__"]!] = (s["value"] as! [Any])[1] as? String }
        XCTAssertEqual(byName, ["logmill_rw_stats_count": "4", "logmill_rw_stats_sum": "10", "logmill_rw_stats_min": "1", "logmill_rw_stats_max": "4"])

        // Far beyond the out-of-order window: Prometheus 2.42 answers 500 "too old sample" (newer
        // versions 400), so the sink retries as the spec demands for 5xx, then reports the receiver's text.
        let ancient = now - 60 * 86_400_000
        let once = try SinkRegistry.make(SinkSpec(kind: "remote-write", arguments: [base + "/api/v1/write"], options: ["attempts": "2"]), context: .testing)
        XCTAssertThrowsError(try once.emit([MetricDatum(namespace: "Logmill/Test", name: "logmill_rw_ancient", dimensions: [("run", run)], timestamp: ancient, unit: .none, value: .single(1))])) { e in
            XCTAssertTrue("\(e)".contains("too old sample") || "\(e)".contains("out of bounds"), "\(e)")
        }
        XCTAssertEqual(try promQuery(base, "logmill_rw_ancient{run=\"\(run)\"}[1h]", time: Double(ancient) / 1000 + 60).count, 0)
    }

    func testPushgatewayPushReadBackAndReplace() throws {
        let base = try peer("LOGMILL_TEST_PUSHGATEWAY")
        let job = "logmill_test_" + UUID().uuidString.prefix(8).lowercased()
        let spec = SinkSpec.parse(["pushgateway", base, "job=\(job)", "instance=ci", "path=/var/tmp"], line: 1)!
        let sink = try SinkRegistry.make(spec, context: .testing)
        defer { _ = try? fastClient().send(HTTPRequest(method: "DELETE", url: URL(string: (sink as! PushgatewaySink).groupURL)!)) }
        let dims: [(name: String, value: String)] = [("file", "a \"b\".log")]
        try sink.emit([
            MetricDatum(namespace: "Logmill/Test", name: "logmill_pg_value", dimensions: dims, timestamp: 1000, unit: .count, value: .single(42)),
            MetricDatum(namespace: "Logmill/Test", name: "logmill_pg_stats", dimensions: dims, timestamp: 1000, unit: .seconds,
                        value: .statistics(StatisticSet(sampleCount: 3, sum: 4.5, minimum: 0.5, maximum: 2))),
        ])
        func mine() throws -> [String: (labels: [String: String], value: String)] {
            let r = try httpGet(base + "/metrics")
            XCTAssertEqual(r.status, 200)
            var out: [String: (labels: [String: String], value: String)] = [:]
            for s in parseExposition(r.text) where s.labels["job"] == job { out[s.name] = (s.labels, s.value) }
            return out
        }
        var got = try mine()
        XCTAssertEqual(got["logmill_pg_value"]?.value, "42")
        XCTAssertEqual(got["logmill_pg_value"]?.labels, ["job": job, "instance": "ci", "path": "/var/tmp", "namespace": "Logmill/Test", "file": "a \"b\".log"])
        XCTAssertEqual(got["logmill_pg_stats_count"]?.value, "3")
        XCTAssertEqual(got["logmill_pg_stats_sum"]?.value, "4.5")
        XCTAssertEqual(got["logmill_pg_stats_min"]?.value, "0.5")
        XCTAssertEqual(got["logmill_pg_stats_max"]?.value, "2")
        XCTAssertEqual(got["push_time_seconds"]?.labels["path"], "/var/tmp")

        // A re-push replaces the group: new value, and the metric not pushed again is gone.
        try sink.emit([MetricDatum(namespace: "Logmill/Test", name: "logmill_pg_value", dimensions: dims, timestamp: 2000, unit: .count, value: .single(99))])
        got = try mine()
        XCTAssertEqual(got["logmill_pg_value"]?.value, "99")
        XCTAssertNil(got["logmill_pg_stats_count"])
        XCTAssertNil(got["logmill_pg_stats_max"])

        // The gateway's 400 (the same metric name with another type in another group) comes back as the error.
        let other = try SinkRegistry.make(SinkSpec.parse(["pushgateway", base, "job=\(job)", "instance=other"], line: 1)!, context: .testing)
        defer { _ = try? fastClient().send(HTTPRequest(method: "DELETE", url: URL(string: (other as! PushgatewaySink).groupURL)!)) }
        XCTAssertThrowsError(try other.emit([MetricDatum(namespace: "Logmill/Test", name: "logmill_pg_value", dimensions: dims, timestamp: 0, unit: .count,
                                                         value: .statistics(StatisticSet(sampleCount: 1, sum: 1, minimum: 1, maximum: 1)))])) { e in
            XCTAssertTrue("\(e)".contains("HTTP 400"), "\(e)")
            XCTAssertFalse("\(e)".contains("attempts"), "\(e)")
        }
        XCTAssertEqual(try mine()["logmill_pg_value"]?.value, "99", "the failed push changed nothing")
    }
}
