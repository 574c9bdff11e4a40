import XCTest
@testable import LogmillAWS
import LogmillTestSupport

final class CredentialsTests: XCTestCase {
    var tmp: TemporaryDirectory!
    var home: String { tmp.path }

    override func setUpWithError() throws {
        tmp = TemporaryDirectory(prefix: "logmill-aws")
        try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        tmp.cleanup()
    }

    func write(_ path: String, _ text: String) {
        _ = FileManager.default.createFile(atPath: home + "/" + path, contents: Data(text.utf8))
    }

    /// An environment with nothing but HOME and IMDS switched off, plus `extra`.
    func env(_ extra: [String: String] = [:]) -> [String: String] {
        ["HOME": home, "AWS_EC2_METADATA_DISABLED": "true"].merging(extra) { _, b in b }
    }

    func testEnvironmentCredentialsAndRedaction() throws {
        let c = try CredentialChain(environment: env(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "envSecretValue",
                                                       "AWS_SESSION_TOKEN": "envTokenValue"])).resolve()
        XCTAssertEqual(c.accessKeyId, "AKIAENV")
        XCTAssertEqual(c.secretAccessKey, "envSecretValue")
        XCTAssertEqual(c.sessionToken, "envTokenValue")
        XCTAssertEqual(c.source, "environment")
        for text in [c.description, "\(c)", String(reflecting: c)] {
            XCTAssertFalse(text.contains("envSecretValue"), text)
            XCTAssertFalse(text.contains("envTokenValue"), text)
            XCTAssertTrue(text.contains("AKIAENV"))
            XCTAssertTrue(text.contains("<redacted>"))
        }
        // The legacy token name works too.
        let legacy = try CredentialChain(environment: env(["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SECURITY_TOKEN": "T"])).resolve()
        XCTAssertEqual(legacy.sessionToken, "T")
    }

    func testProcessEnvironmentWithSetenv() throws {
        let names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]
        let saved = names.map { ($0, getenv($0).map { String(cString: $0) }) }
        defer {
            for (n, v) in saved {
                if let v { setenv(n, v, 1) } else { unsetenv(n) }
            }
        }
        setenv("AWS_ACCESS_KEY_ID", "AKIASETENV", 1)
        setenv("AWS_SECRET_ACCESS_KEY", "setenvSecret", 1)
        unsetenv("AWS_SESSION_TOKEN")
        unsetenv("AWS_PROFILE")
        let c = try CredentialChain().resolve()
        XCTAssertEqual(c.accessKeyId, "AKIASETENV")
        XCTAssertNil(c.sessionToken)
    }

    func testSharedCredentialsFileProfiles() throws {
        write(".aws/credentials", """
            # comment
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = defaultSecret

            [work]
            aws_access_key_id=AKIAWORK
            aws_secret_access_key=workSecret
            aws_session_token = workToken ; inline comment
            """)
        let d = try CredentialChain(environment: env()).resolve()
        XCTAssertEqual(d.accessKeyId, "AKIADEFAULT")
        XCTAssertNil(d.sessionToken)
        XCTAssertTrue(d.source.contains("[default]"))
        let w = try CredentialChain(environment: env(["AWS_PROFILE": "work"])).resolve()
        XCTAssertEqual(w.accessKeyId, "AKIAWORK")
        XCTAssertEqual(w.sessionToken, "workToken")
        XCTAssertFalse(w.description.contains("workSecret"))
        // An explicit profile beats environment keys (botocore skips the environment provider then).
        let e = try CredentialChain(environment: env(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "x"]), profile: "work").resolve()
        XCTAssertEqual(e.accessKeyId, "AKIAWORK")
        // AWS_PROFILE in the environment does not disable environment keys.
        let f = try CredentialChain(environment: env(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "x", "AWS_PROFILE": "work"])).resolve()
        XCTAssertEqual(f.accessKeyId, "AKIAENV")
        // A named profile that does not exist is an error naming it.
        XCTAssertThrowsError(try CredentialChain(environment: env(), profile: "nope").resolve()) { error in
            XCTAssertTrue("\(error)".contains("'nope' not found"), "\(error)")
        }
    }

    func testConfigFileProfilesRegionAndOverrides() throws {
        write(".aws/config", """
            [default]
            region = eu-west-1

            [profile dev]
            region = ap-southeast-2
            aws_access_key_id = AKIACONFIGDEV
            aws_secret_access_key = configSecret
            s3 =
              addressing_style = path
            """)
        let dev = try CredentialChain(environment: env(["AWS_PROFILE": "dev"])).resolve()
        XCTAssertEqual(dev.accessKeyId, "AKIACONFIGDEV")
        XCTAssertTrue(dev.source.hasPrefix("config file"))
        XCTAssertEqual(AWSSharedConfig(environment: env(["AWS_PROFILE": "dev"])).region, "ap-southeast-2")
        XCTAssertEqual(AWSSharedConfig(environment: env(["AWS_PROFILE": "dev"])).configSection?["s3.addressing_style"], "path")
        XCTAssertEqual(AWSSharedConfig(environment: env()).region, "eu-west-1")
        XCTAssertEqual(AWSSharedConfig(environment: env(["AWS_DEFAULT_REGION": "us-west-2"])).region, "us-west-2")
        XCTAssertEqual(AWSSharedConfig(environment: env(["AWS_DEFAULT_REGION": "us-west-2", "AWS_REGION": "us-east-2"])).region, "us-east-2")
        // The credentials file wins over config-file keys for the same profile.
        write(".aws/credentials", "[dev]\naws_access_key_id = AKIACREDDEV\naws_secret_access_key = s\n")
        XCTAssertEqual(try CredentialChain(environment: env(["AWS_PROFILE": "dev"])).resolve().accessKeyId, "AKIACREDDEV")
        // File locations can be overridden.
        write("other-creds", "[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s\n")
        write("other-config", "[profile x]\nregion = sa-east-1\n")
        let o = try CredentialChain(environment: env(["AWS_SHARED_CREDENTIALS_FILE": home + "/other-creds"])).resolve()
        XCTAssertEqual(o.accessKeyId, "AKIAOTHER")
        XCTAssertEqual(AWSSharedConfig(environment: env(["AWS_CONFIG_FILE": home + "/other-config"]), profile: "x").region, "sa-east-1")
    }

    func testCredentialProcessAndUnsupportedProfiles() throws {
        write(".aws/config", """
            [profile proc]
            credential_process = printf '{"Version": 1, "AccessKeyId": "AKIAPROC", "SecretAccessKey": "procSecret", "SessionToken": "procToken", "Expiration": "2099-01-01T00:00:00Z"}'

            [profile role]
            role_arn = arn:aws:iam::123456789012:role/x
            source_profile = default
            """)
        let p = try CredentialChain(environment: env(), profile: "proc").resolve()
        XCTAssertEqual(p.accessKeyId, "AKIAPROC")
        XCTAssertEqual(p.sessionToken, "procToken")
        XCTAssertEqual(p.expiration, AWSTime.parse("2099-01-01T00:00:00Z"))
        XCTAssertThrowsError(try CredentialChain(environment: env(), profile: "role").resolve()) { error in
            XCTAssertTrue("\(error)".contains("role_arn"), "\(error)")
        }
    }

    func testNothingConfiguredListsWhatWasTried() {
        XCTAssertThrowsError(try CredentialChain(environment: env()).resolve()) { error in
            let m = "\(error)"
            XCTAssertTrue(m.contains("no AWS credentials found"), m)
            XCTAssertTrue(m.contains("environment"), m)
            XCTAssertTrue(m.contains("disabled by AWS_EC2_METADATA_DISABLED"), m)
        }
    }

    func testContainerCredentialsFullURIWithTokenFile() throws {
        let server = try TestHTTPServer { req in
            guard req.path == "/creds", req.headers["authorization"] == "file-token" else { return .ok("denied", status: 403) }
            return .ok(#"{"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"containerSecret","Token":"containerToken","Expiration":"2099-01-01T00:00:00Z","RoleArn":"arn:x"}"#)
        }
        defer { server.stop() }
        write("token", "file-token\n")
        let c = try CredentialChain(environment: env(["AWS_CONTAINER_CREDENTIALS_FULL_URI": server.baseURL + "/creds",
                                                       "AWS_CONTAINER_AUTHORIZATION_TOKEN": "env-token",
                                                       "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": home + "/token"])).resolve()
        XCTAssertEqual(c.accessKeyId, "ASIACONTAINER")
        XCTAssertEqual(c.sessionToken, "containerToken")
        XCTAssertEqual(c.source, "container credentials")
        XCTAssertEqual(server.requests.count, 1)
        // The token variable alone is used when there is no file.
        let server2 = try TestHTTPServer { req in
            req.headers["authorization"] == "env-token"
                ? .ok(#"{"AccessKeyId":"ASIA2","SecretAccessKey":"s","Token":"t"}"#) : .ok("", status: 401)
        }
        defer { server2.stop() }
        let c2 = try ContainerCredentials(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": server2.baseURL + "/x",
                                                        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "env-token"]).fetch()
        XCTAssertEqual(c2.accessKeyId, "ASIA2")
        // Relative URIs go to 169.254.170.2 (not contacted here).
        XCTAssertEqual(try ContainerCredentials(environment: ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"]).url().absoluteString,
                       "http://169.254.170.2/v2/credentials/abc")
        // Plain http to a non-loopback host is refused.
        XCTAssertThrowsError(try ContainerCredentials(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"]).url())
        XCTAssertNoThrow(try ContainerCredentials(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://example.com/creds"]).url())
    }

    func testIMDSv2() throws {
        let server = try TestHTTPServer { req in
            switch (req.method, req.path) {
            case ("PUT", "/latest/api/token"):
                return req.headers["x-aws-ec2-metadata-token-ttl-seconds"] == "21600" ? .ok("TOKEN123") : .ok("", status: 400)
            case ("GET", _) where req.headers["x-aws-ec2-metadata-token"] != "TOKEN123":
                return .ok("", status: 401)
            case ("GET", "/latest/meta-data/iam/security-credentials/"):
                return .ok("logmill-role\n")
            case ("GET", "/latest/meta-data/iam/security-credentials/logmill-role"):
                return .ok(#"{"Code":"Success","LastUpdated":"2026-01-01T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imdsSecret","Token":"imdsToken","Expiration":"2099-01-01T06:00:00Z"}"#)
            case ("GET", "/latest/meta-data/placement/region"):
                return .ok("eu-central-1")
            default:
                return .ok("", status: 404)
            }
        }
        defer { server.stop() }
        let e = ["HOME": home, "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL + "/"]
        let c = try CredentialChain(environment: e).resolve()
        XCTAssertEqual(c.accessKeyId, "ASIAIMDS")
        XCTAssertEqual(c.sessionToken, "imdsToken")
        XCTAssertEqual(c.expiration, AWSTime.parse("2099-01-01T06:00:00Z"))
        XCTAssertTrue(c.source.contains("logmill-role"))
        XCTAssertEqual(server.requests.map { "\($0.method) \($0.path)" }, [
            "PUT /latest/api/token", "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/logmill-role",
        ])
        XCTAssertEqual(try InstanceMetadata(environment: e).region(), "eu-central-1")
        // Disabled: the server is not asked.
        let before = server.requests.count
        XCTAssertThrowsError(try CredentialChain(environment: e.merging(["AWS_EC2_METADATA_DISABLED": "true"]) { _, b in b }).resolve())
        XCTAssertEqual(server.requests.count, before)
    }

    func testIMDSv1FallbackAndUnreachable() throws {
        let server = try TestHTTPServer { req in
            switch (req.method, req.path) {
            case ("PUT", _): return .ok("", status: 405)
            case ("GET", "/latest/meta-data/iam/security-credentials/"):
                return req.headers["x-aws-ec2-metadata-token"] == nil ? .ok("r1") : .ok("", status: 400)
            case ("GET", "/latest/meta-data/iam/security-credentials/r1"):
                return .ok(#"{"Code":"Success","AccessKeyId":"ASIAV1","SecretAccessKey":"s","Token":"t"}"#)
            default: return .ok("", status: 404)
            }
        }
        defer { server.stop() }
        let e = ["HOME": home, "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL]
        XCTAssertEqual(try CredentialChain(environment: e).resolve().accessKeyId, "ASIAV1")
        XCTAssertThrowsError(try CredentialChain(environment: e.merging(["AWS_EC2_METADATA_V1_DISABLED": "true"]) { _, b in b }).resolve()) {
            XCTAssertTrue("\($0)".contains("IMDSv1 is disabled"), "\($0)")
        }
        // A closed port fails fast with a message naming the endpoint.
        server.stop()
        let start = Date()
        XCTAssertThrowsError(try CredentialChain(environment: ["HOME": home, "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"]).resolve()) {
            XCTAssertTrue("\($0)".contains("EC2 instance metadata"), "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testProviderCachesAndRefreshes() throws {
        final class Counter: @unchecked Sendable { var n = 0 }
        let counter = Counter()
        let now = Date()
        let provider = CredentialProvider {
            counter.n += 1
            return Credentials(accessKeyId: "K\(counter.n)", secretAccessKey: "s", expiration: now.addingTimeInterval(600))
        }
        XCTAssertEqual(try provider.credentials(now: now).accessKeyId, "K1")
        XCTAssertEqual(try provider.credentials(now: now.addingTimeInterval(200)).accessKeyId, "K1")
        // Within 5 minutes of expiry: refreshed.
        XCTAssertEqual(try provider.credentials(now: now.addingTimeInterval(400)).accessKeyId, "K2")
        provider.invalidate()
        XCTAssertEqual(try provider.credentials(now: now).accessKeyId, "K3")
    }
}

final class EndpointTests: XCTestCase {
    func testResolutionOrder() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-ep")
        defer { tmp.cleanup() }
        let home = tmp.path
        try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: home + "/.aws/config", contents: Data("""
            [profile local]
            region = us-east-1
            services = local-stack
            endpoint_url = http://127.0.0.1:9999

            [services local-stack]
            cloudwatch =
              endpoint_url = http://127.0.0.1:4566
            cloudwatch_logs =
              endpoint_url = http://127.0.0.1:4567

            [profile plain]
            endpoint_url = http://127.0.0.1:9999
            """.utf8))
        func resolve(_ env: [String: String], profile: String? = nil, explicit: String? = nil, service: AWSService = .cloudWatch) throws -> String {
            let c = AWSSharedConfig(environment: ["HOME": home].merging(env) { _, b in b }, profile: profile)
            return try AWSEndpoints.resolve(service, region: c.region ?? "us-west-2", explicit: explicit, config: c).url.absoluteString
        }
        XCTAssertEqual(try resolve([:]), "https://monitoring.us-west-2.amazonaws.com")
        XCTAssertEqual(try resolve([:], profile: "local"), "http://127.0.0.1:4566")
        XCTAssertEqual(try resolve([:], profile: "local", service: .cloudWatchLogs), "http://127.0.0.1:4567")
        XCTAssertEqual(try resolve([:], profile: "local", service: .s3), "http://127.0.0.1:9999")
        XCTAssertEqual(try resolve([:], profile: "plain"), "http://127.0.0.1:9999")
        XCTAssertEqual(try resolve(["AWS_ENDPOINT_URL": "http://127.0.0.1:1"], profile: "local"), "http://127.0.0.1:1")
        XCTAssertEqual(try resolve(["AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:2"]), "http://127.0.0.1:2")
        XCTAssertEqual(try resolve(["AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:2"], explicit: "http://127.0.0.1:3"), "http://127.0.0.1:3")
        XCTAssertEqual(try resolve(["AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:2", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"], profile: "local"),
                       "https://monitoring.us-east-1.amazonaws.com")
        XCTAssertEqual(AWSService.cloudWatchLogs.environmentVariable, "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
        XCTAssertEqual(AWSEndpoints.defaultURL(.cloudWatch, region: "cn-north-1").absoluteString, "https://monitoring.cn-north-1.amazonaws.com.cn")
        XCTAssertThrowsError(try resolve(["AWS_ENDPOINT_URL_CLOUDWATCH": "not a url"]))
        XCTAssertThrowsError(try AWSEndpoints.resolve(.cloudWatch, region: nil, config: AWSSharedConfig(environment: ["HOME": home])))
    }
}
