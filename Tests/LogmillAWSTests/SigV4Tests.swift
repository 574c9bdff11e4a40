import XCTest
@testable import LogmillAWS

/// SigV4 against the vectors of protocols.md §1.9 (aws-c-auth suite, the 2015 suite, the S3
/// documentation examples and the logmill-shaped vectors) and against botocore's own signer.
final class SigV4Tests: XCTestCase {
    let suiteCreds = Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    let suiteDate = SigV4.date(amz: "20150830T123600Z")!
    let suiteToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

    /// Signs a suite request: path and query as written in request.txt, Host example.amazonaws.com.
    func suite(_ method: String = "GET", _ path: String = "/", query: String? = nil, headers: [(name: String, value: String)] = [],
               body: String = "", creds: Credentials? = nil, normalize: Bool = true) -> SigV4.Signed {
        var signer = SigV4(region: "us-east-1", service: "service")
        signer.normalizePath = normalize
        return signer.sign(method: method, path: path, query: query, host: nil,
                           headers: [("Host", "example.amazonaws.com")] + headers + [("X-Amz-Date", "20150830T123600Z")],
                           payloadHash: SHA256.hex(body), credentials: creds ?? suiteCreds, date: suiteDate)
    }

    func testSigningKeys() {
        let s = SigV4(region: "us-east-1", service: "service")
        XCTAssertEqual(AWS.hex(s.signingKey(secret: suiteCreds.secretAccessKey, date: "20150830")),
                       "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75")
        let iam = SigV4(region: "us-east-1", service: "iam")
        XCTAssertEqual(AWS.hex(iam.signingKey(secret: suiteCreds.secretAccessKey, date: "20120215")),
                       "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    func testGetVanilla() {
        let s = suite()
        XCTAssertEqual(s.canonicalRequest, """
            GET
            /

            host:example.amazonaws.com
            x-amz-date:20150830T123600Z

            host;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        XCTAssertEqual(s.stringToSign, """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
            """)
        XCTAssertEqual(s.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        XCTAssertEqual(s.authorization, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    func testGetVanillaWithSessionToken() {
        var c = suiteCreds
        c.sessionToken = suiteToken
        let s = suite(creds: c)
        XCTAssertTrue(s.canonicalRequest.contains("x-amz-security-token:\(suiteToken)\n\nhost;x-amz-date;x-amz-security-token\n"))
        XCTAssertEqual(s.stringToSign.split(separator: "\n").last, "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b")
        XCTAssertEqual(s.signature, "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8")
        XCTAssertTrue(s.headers.contains { $0.name == "X-Amz-Security-Token" && $0.value == suiteToken })
    }

    func testPostFormUrlencodedBothSuites() {
        // Original 2015 suite: content-type;host;x-amz-date.
        let a = suite("POST", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "Param1=value1")
        XCTAssertEqual(a.signedHeaders, "content-type;host;x-amz-date")
        XCTAssertEqual(a.stringToSign.split(separator: "\n").last, "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281")
        XCTAssertEqual(a.signature, "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
        // aws-c-auth (sign_body: x-amz-content-sha256 added; content-length signed).
        var signer = SigV4(region: "us-east-1", service: "service")
        signer.addContentSHA256Header = true
        let b = signer.sign(method: "POST", path: "/", query: nil, host: nil,
                            headers: [("Host", "example.amazonaws.com"), ("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "13")],
                            payloadHash: SHA256.hex("Param1=value1"), credentials: suiteCreds, date: suiteDate)
        XCTAssertEqual(b.signedHeaders, "content-length;content-type;host;x-amz-content-sha256;x-amz-date")
        XCTAssertEqual(b.stringToSign.split(separator: "\n").last, "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb")
        XCTAssertEqual(b.signature, "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b")
    }

    func testSuiteTable() {
        XCTAssertEqual(suite(query: "Param-3=Value3&Param=Value2&%E1%88%B4=Value1").signature,
                       "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac")
        XCTAssertEqual(SigV4.canonicalQuery("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"), "%E1%88%B4=Value1&Param=Value2&Param-3=Value3")
        let space = suite("GET", "/example space/")
        XCTAssertTrue(space.canonicalRequest.hasPrefix("GET\n/example%20space/\n"))
        XCTAssertEqual(space.signature, "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741")
        let utf8 = suite("GET", "/ሴ")
        XCTAssertTrue(utf8.canonicalRequest.hasPrefix("GET\n/%E1%88%B4\n"))
        XCTAssertEqual(utf8.signature, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")
        XCTAssertEqual(suite("GET", "//example//").signature, "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84")
        XCTAssertEqual(suite("GET", "//example//", normalize: false).signature, "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5")
        let trim = suite(headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")])
        XCTAssertTrue(trim.canonicalRequest.contains("my-header1:value1\nmy-header2:\"a b c\"\n"))
        XCTAssertEqual(trim.signature, "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736")
        let dup = suite(headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")])
        XCTAssertTrue(dup.canonicalRequest.contains("my-header1:value2,value2,value1\n"))
        XCTAssertEqual(dup.signature, "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea")
        let multi = suite(headers: [("My-Header1", "value1\n  value2\n     value3")])
        XCTAssertTrue(multi.canonicalRequest.contains("my-header1:value1 value2 value3\n"))
        XCTAssertEqual(multi.signature, "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd")
        let unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        XCTAssertEqual(suite(query: "\(unreserved)=\(unreserved)").signature, "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197")
        XCTAssertEqual(suite("POST").signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    }

    func testPresignedGetVanilla() {
        let signer = SigV4(region: "us-east-1", service: "service")
        let url = signer.presign(url: URL(string: "https://example.amazonaws.com/")!, expires: 3600, credentials: suiteCreds, date: suiteDate)
        XCTAssertEqual(url.absoluteString, "https://example.amazonaws.com/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d")
    }

    func testS3DocumentationExamples() {
        let creds = Credentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        let date = SigV4.date(amz: "20130524T000000Z")!
        let s3 = SigV4(region: "us-east-1", service: "s3")
        func get(_ url: String, _ headers: [(name: String, value: String)] = []) -> SigV4.Signed {
            s3.sign(method: "GET", url: URL(string: url)!, headers: headers, body: Data(), credentials: creds, date: date)
        }
        let obj = get("https://examplebucket.s3.amazonaws.com/test.txt", [("Range", "bytes=0-9")])
        XCTAssertEqual(obj.signedHeaders, "host;range;x-amz-content-sha256;x-amz-date")
        XCTAssertEqual(obj.stringToSign.split(separator: "\n").last, "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
        XCTAssertEqual(obj.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        XCTAssertEqual(get("https://examplebucket.s3.amazonaws.com/?lifecycle").signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        XCTAssertEqual(get("https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J").signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
        let put = s3.sign(method: "PUT", url: URL(string: "https://examplebucket.s3.amazonaws.com/test%24file.text")!,
                          headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                          body: Data("Welcome to Amazon S3.".utf8), credentials: creds, date: date)
        XCTAssertTrue(put.canonicalRequest.hasPrefix("PUT\n/test%24file.text\n\n"))
        XCTAssertEqual(put.signedHeaders, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        XCTAssertEqual(put.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    func testLogmillShapedVectors() {
        // (a) CloudWatch Query PutMetricData.
        let body = "Action=PutMetricData&MetricData.member.1.MetricName=Lines&MetricData.member.1.Unit=Count&MetricData.member.1.Value=42&Namespace=Logmill&Version=2010-08-01"
        XCTAssertEqual(SHA256.hex(body), "0b16cc855c66a636eb2702ae6f042dc972eb08e7fcc099db3ee52680d2a3ff4a")
        let cw = SigV4(region: "us-east-1", service: "monitoring").sign(
            method: "POST", url: URL(string: "https://monitoring.us-east-1.amazonaws.com/")!,
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: Data(body.utf8),
            credentials: suiteCreds, date: suiteDate)
        XCTAssertTrue(cw.canonicalRequest.contains("content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:monitoring.us-east-1.amazonaws.com\nx-amz-date:20150830T123600Z\n"))
        XCTAssertEqual(cw.stringToSign.split(separator: "\n").last, "b4be186b47f72aed858fd861cf40c6f3ba7fd3e865dbb6759aa0fff8b836cf46")
        XCTAssertEqual(cw.signature, "e3c4f7d421f8d01defa84ecaf7a3ee46cae7a9d858b64be47f26f24130a958be")
        XCTAssertFalse(cw.headers.contains { $0.name.lowercased() == "x-amz-content-sha256" })
        // (b) CloudWatch Logs FilterLogEvents (JSON 1.1).
        let json = #"{"logGroupName":"/aws/lambda/demo","startTime":1440938160000,"limit":100}"#
        let logs = SigV4(region: "us-east-1", service: "logs").sign(
            method: "POST", url: URL(string: "https://logs.us-east-1.amazonaws.com/")!,
            headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "Logs_20140328.FilterLogEvents")],
            body: Data(json.utf8), credentials: suiteCreds, date: suiteDate)
        XCTAssertEqual(logs.signedHeaders, "content-type;host;x-amz-date;x-amz-target")
        XCTAssertEqual(logs.signature, "cf3f8fda5bf50bd7e43fe4b9da926712ccd93087e73935edf01f0f6fb061a810")
        // (c) S3 ListObjectsV2 with a session token.
        var tokenCreds = suiteCreds
        tokenCreds.sessionToken = suiteToken
        let s3 = SigV4(region: "us-east-1", service: "s3")
        let list = s3.sign(method: "GET", url: URL(string: "https://examplebucket.s3.us-east-1.amazonaws.com/?list-type=2&prefix=logs%2F2015%2F&max-keys=2")!,
                           headers: [], body: Data(), credentials: tokenCreds, date: suiteDate)
        XCTAssertTrue(list.canonicalRequest.hasPrefix("GET\n/\nlist-type=2&max-keys=2&prefix=logs%2F2015%2F\n"))
        XCTAssertEqual(list.stringToSign.split(separator: "\n").last, "325edf0f110e862d619d8d2f5b16ae2ddb83850ccb5b7807dc50d26f3ed1a671")
        XCTAssertEqual(list.signature, "d6b6e93e0958a34b9c784ba16cee3bb8968ec7ad4857ee1af1f1fea6c8c6e04e")
        // (d) S3 GetObject with a range, key with a space and a plus.
        let obj = s3.sign(method: "GET", url: URL(string: "https://examplebucket.s3.us-east-1.amazonaws.com/logs/2015/08/30/app%20log%2B1.gz")!,
                          headers: [("Range", "bytes=0-1023")], body: Data(), credentials: suiteCreds, date: suiteDate)
        XCTAssertTrue(obj.canonicalRequest.hasPrefix("GET\n/logs/2015/08/30/app%20log%2B1.gz\n"))
        XCTAssertEqual(obj.signedHeaders, "host;range;x-amz-content-sha256;x-amz-date")
        XCTAssertEqual(obj.signature, "64e8359a78abdbeea2098d53fde3613b8d1c6924e0ee95d456beb0679016f705")
    }

    func testURIEncodingAndPaths() {
        XCTAssertEqual(SigV4.uriEncode("a b/c+d=e&~"), "a%20b%2Fc%2Bd%3De%26~")
        XCTAssertEqual(SigV4.uriEncode("a b/c", keepSlash: true), "a%20b/c")
        XCTAssertEqual(SigV4(region: "us-east-1", service: "service").canonicalURI("/a%20b/c%2Fd/%E1%88%B4/./x/../y"),
                       "/a%2520b/c%252Fd/%25E1%2588%25B4/y")
        XCTAssertEqual(SigV4(region: "us-east-1", service: "s3").canonicalURI("/a%20b/c%2Fd/%E1%88%B4/./x/../y"),
                       "/a%20b/c%2Fd/%E1%88%B4/./x/../y")
        XCTAssertEqual(SigV4.canonicalQuery("lifecycle"), "lifecycle=")
        XCTAssertEqual(SigV4.normalize("/"), "/")
        XCTAssertEqual(SigV4.hostHeader(URL(string: "http://127.0.0.1:15111/")!), "127.0.0.1:15111")
        XCTAssertEqual(SigV4.hostHeader(URL(string: "https://h.example:443/")!), "h.example")
        XCTAssertEqual(SigV4.amzDate(Date(timeIntervalSince1970: 1440938160)), "20150830T123600Z")
    }

    /// The same PutMetricData request signed here and by botocore's SigV4Auth must carry the same Authorization.
    func testAgainstBotocore() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/env") else { throw XCTSkip("no /usr/bin/env to start python3 with botocore; this check needs a POSIX system with python3 and botocore (pip install botocore)") }
        let body = "Action=PutMetricData&Version=2010-08-01&Namespace=Logmill%2FTest" +
            "&MetricData.member.1.MetricName=Request%20Latency&MetricData.member.1.Dimensions.member.1.Name=Path" +
            "&MetricData.member.1.Dimensions.member.1.Value=%2Fapi%2Fv1%3Fq%3D%C3%A9%20x&MetricData.member.1.Timestamp=2026-01-15T10%3A00%3A00Z" +
            "&MetricData.member.1.StatisticValues.SampleCount=120&MetricData.member.1.StatisticValues.Sum=9000.5" +
            "&MetricData.member.1.StatisticValues.Minimum=3&MetricData.member.1.StatisticValues.Maximum=410&MetricData.member.1.Unit=Milliseconds" +
            "&MetricData.member.2.MetricName=Bytes&MetricData.member.2.Values.member.1=100&MetricData.member.2.Counts.member.1=7"
        let date = SigV4.date(amz: "20260115T100500Z")!
        for (endpoint, token) in [("https://monitoring.eu-west-1.amazonaws.com/", nil as String?),
                                  ("http://127.0.0.1:15111/", "FwoGZXIvYXdzEBYaDH+/token=="),] {
            let creds = Credentials(accessKeyId: "AKIAEXAMPLELOGMILL", secretAccessKey: "s3cr3t/Key+With=Chars", sessionToken: token)
            let headers: [(name: String, value: String)] = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
            let ours = SigV4(region: "eu-west-1", service: "monitoring").sign(method: "POST", url: URL(string: endpoint)!, headers: headers,
                                                                               body: Data(body.utf8), credentials: creds, date: date)
            var args: [String: Any] = ["url": endpoint, "body": body, "ak": creds.accessKeyId, "sk": creds.secretAccessKey,
                                       "headers": Dictionary(uniqueKeysWithValues: headers.map { ($0.name, $0.value) })]
            if let token { args["token"] = token }
            let theirs = try botocoreAuthorization(args)
            XCTAssertEqual(ours.authorization, theirs, "endpoint \(endpoint)")
        }
    }

    func botocoreAuthorization(_ args: [String: Any]) throws -> String {
        let script = """
        import sys, json, datetime
        from unittest import mock
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        a = json.loads(sys.argv[1])
        creds = Credentials(a['ak'], a['sk'], a.get('token'))
        req = AWSRequest(method='POST', url=a['url'], data=a['body'].encode(), headers=a['headers'])
        fixed = datetime.datetime(2026, 1, 15, 10, 5, 0, tzinfo=datetime.timezone.utc)
        with mock.patch('botocore.auth.get_current_datetime', return_value=fixed):
            botocore.auth.SigV4Auth(creds, 'monitoring', 'eu-west-1').add_auth(req)
        print(req.headers['Authorization'])
        """
        let json = String(decoding: try JSONSerialization.data(withJSONObject: args), as: UTF8.self)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, json]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            let e = String(decoding: errData, as: UTF8.self)
            if e.contains("No module named") { throw XCTSkip("python3 lacks botocore (pip install botocore, or .ci/peers.sh install_peers, which installs it with moto): \(e)") }
            XCTFail("python3 failed: \(e)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
