import Foundation
import LogmillAlarms
import LogmillJobs
import LogmillSinks
import LogmillTestSupport
import LogmillTime
import XCTest

/// Alarms wired into scheduled runs: a log grows an ERROR burst across runs stepped with `--now`;
/// the receiver must see exactly one ALARM (with the burst's lines) and then exactly one OK, also
/// when a run is killed between deciding a notification and sending it.
final class AlarmRunTests: XCTestCase {
    static let t0: Int64 = 1_793_491_200_000   // 2026-11-01T00:00:00Z

    /// Errors per five-minute window: quiet, a burst of two windows, quiet again.
    static let errorsPerWindow = [1, 9, 8, 0, 0, 0]

    /// Writes the job and the first `windows` windows' lines.
    func prepare(_ dir: String, receiver: String, windows: Int) throws {
        let job = """
        name: errors
        schedule: rate(5 minutes)
        start: 2026-11-01T00:00:00Z
        settle: 10s
        source: app.log as /aws/lambda/orders-api
        namespace: Logmill/Test
        metric: Errors = errors unit Count default 0
        alarm: ErrorSpike = Errors Sum > 5 for 2 of 3 missing notBreaching
        notify: webhook \(receiver)/hook?token=s3cret
        notify: stdout
        samples: 3
        sink: emf out.emf
        query:
        filter @message like /ERROR/
        | stats count(*) as errors by bin(5m)
        """
        try job.write(toFile: dir + "/errors.job", atomically: true, encoding: .utf8)
        var text = ""
        for w in 0..<windows {
            let base = AlarmRunTests.t0 + Int64(w) * 300_000
            for k in 0..<10 {
                let time = CivilCalendar.iso(base + Int64(k) * 20_000 + 1_000)
                let level = k < AlarmRunTests.errorsPerWindow[w] ? "ERROR" : "INFO"
                text += "\(time)\treq-\(w)-\(k)\t\(level)\twindow \(w) line \(k)\n"
            }
        }
        try text.write(toFile: dir + "/app.log", atomically: true, encoding: .utf8)
    }

    func run(_ dir: String, at window: Int, fault: String? = nil) throws -> LogmillProcess.Output {
        // Each run happens just after window `window` is due (its end plus the settle delay).
        let now = AlarmRunTests.t0 + Int64(window + 1) * 300_000 + 15_000
        return try LogmillProcess.run(["run", "--now", CivilCalendar.iso(now), "--state-dir", dir + "/state", "errors.job"],
                                      cwd: dir, environment: fault.map { ["LOGMILL_FAULT": $0] } ?? [:])
    }

    func testABurstRaisesOneAlarmWithItsLinesThenOneOK() throws {
        for killed in [false, true] {
            let tmp = TemporaryDirectory(prefix: "logmill-alarm")
            defer { tmp.cleanup() }
            let server = try TestHTTPServer(script: [], fallback: .status(200, "ok"))
            defer { server.stop() }
            var stdout = ""
            for w in 0..<AlarmRunTests.errorsPerWindow.count {
                try prepare(tmp.path, receiver: server.url, windows: w + 1)
                // Window 2 completes the burst: its run decides the ALARM notification. Killed there,
                // after the decision is saved and before anything is sent, the next run sends it.
                if killed && w == 2 {
                    let dead = try run(tmp.path, at: w, fault: "notify:1")
                    XCTAssertEqual(dead.signal, SIGKILL, dead.stderr)
                    XCTAssertEqual(server.requests.count, 0, "nothing was sent before the kill")
                    continue
                }
                let out = try run(tmp.path, at: w)
                XCTAssertEqual(out.status, 0, "window \(w): \(out.stderr)")
                XCTAssertFalse(out.stderr.contains("s3cret"), "the webhook's token is never printed")
                stdout += out.stdout
            }
            let bodies = server.requests.map { $0.json as? [String: Any] ?? [:] }
            XCTAssertEqual(bodies.map { $0["NewStateValue"] as? String }, ["ALARM", "OK"], "killed: \(killed)")
            XCTAssertEqual(server.requests.map(\.path), ["/hook?token=s3cret", "/hook?token=s3cret"])
            guard bodies.count == 2 else { continue }
            let alarm = bodies[0]
            XCTAssertEqual(alarm["AlarmName"] as? String, "ErrorSpike")
            XCTAssertEqual(alarm["OldStateValue"] as? String, "OK")
            // The window 00:10–00:15 is the second breaching one: the state changes at its end.
            XCTAssertEqual(alarm["StateChangeTime"] as? String, "2026-11-01T00:15:00.000+0000")
            let trigger = alarm["Trigger"] as? [String: Any] ?? [:]
            XCTAssertEqual(trigger["MetricName"] as? String, "Errors")
            XCTAssertEqual(trigger["Namespace"] as? String, "Logmill/Test")
            XCTAssertEqual(trigger["Statistic"] as? String, "SUM")
            XCTAssertEqual(trigger["Period"] as? Int, 300)
            let points = (alarm["Datapoints"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? Double }
            XCTAssertEqual(points.suffix(2), [9, 8], "the burst's values are the evaluated datapoints")
            // Up to `samples: 3` lines, from the breaching windows, with their source and time.
            let samples = alarm["SampleLines"] as? [[String: Any]] ?? []
            XCTAssertEqual(samples.count, 3)
            for s in samples {
                let line = s["line"] as? String ?? ""
                XCTAssertTrue(line.contains("ERROR"), line)
                XCTAssertTrue(line.contains("window 1") || line.contains("window 2"), line)
                XCTAssertTrue((s["source"] as? String ?? "").hasSuffix("app.log"))
            }
            let ok = bodies[1]
            XCTAssertEqual(ok["OldStateValue"] as? String, "ALARM")
            XCTAssertEqual(ok["StateChangeTime"] as? String, "2026-11-01T00:25:00.000+0000")
            XCTAssertEqual((ok["SampleLines"] as? [Any])?.count, 0, "an OK carries no lines")
            // A receiver can drop a repeat by this header; it is the same for one notification across retries.
            let keys = Set(server.requests.compactMap { $0.headers["x-logmill-notification"] ?? $0.headers["X-Logmill-Notification"] })
            XCTAssertEqual(keys.count, 2)
            if !killed {
                XCTAssertTrue(stdout.contains("ALARM: \"ErrorSpike\""), stdout)
                XCTAssertTrue(stdout.contains("window 2 line 0"), stdout)
            }

            // The state shows it all: `logmill alarms` reads it back.
            let shown = try LogmillProcess.run(["alarms", "--state-dir", tmp.path + "/state", "--format", "json", "errors.job"], cwd: tmp.path)
            XCTAssertEqual(shown.status, 0, shown.stderr)
            let list = (try? JSONSerialization.jsonObject(with: Data(shown.stdout.utf8))) as? [[String: Any]] ?? []
            XCTAssertEqual(list.first?["alarm"] as? String, "ErrorSpike")
            XCTAssertEqual(list.first?["state"] as? String, "OK")
            XCTAssertEqual(list.first?["since"] as? String, "2026-11-01T00:25:00Z")
        }
    }

    /// A receiver that fails keeps the notification pending (and says so, exit 1); the state change
    /// is not lost, and the next run sends it once.
    func testANotifierThatFailsIsRetriedOnTheNextRunWithoutLosingTheChange() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-alarm-retry")
        defer { tmp.cleanup() }
        let failing = try TestHTTPServer(script: [], fallback: .status(503, "down"))
        try prepare(tmp.path, receiver: failing.url, windows: 3)
        let first = try run(tmp.path, at: 2)
        failing.stop()
        XCTAssertEqual(first.status, 1, first.stderr)
        XCTAssertTrue(first.stderr.contains("did not take the ALARM notification"), first.stderr)
        XCTAssertFalse(first.stderr.contains("s3cret"), first.stderr)

        let server = try TestHTTPServer(script: [], fallback: .status(200, "ok"))
        defer { server.stop() }
        try prepare(tmp.path, receiver: server.url, windows: 3)
        // The job file now names another URL: a new notifier, which has not had it.
        let second = try run(tmp.path, at: 2)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(server.requests.compactMap { ($0.json as? [String: Any])?["NewStateValue"] as? String }, ["ALARM"])
        let third = try run(tmp.path, at: 2)
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertEqual(server.requests.count, 1, "sent once")
    }
}

/// The notifier kinds on their own: Slack's text body, a command with the message on stdin and the
/// alarm in its environment, a failing or hanging command reported, stdout.
final class AlarmNotifierTests: XCTestCase {
    func message() throws -> AlarmMessage {
        let rule = try AlarmRule.parse("Spike = Errors Sum > 5 for 1 of 1", period: Period.parse("5m")!)
        let t = AlarmTransition(oldState: .ok, newState: .alarm, time: 1_793_491_500_000, reason: "Threshold Crossed: 1 datapoint [9.0 (01/11/26 00:00:00)] was greater than the threshold (5.0).",
                                datapoints: [AlarmDatapoint(start: 1_793_491_200_000, value: 9)])
        return AlarmMessage(rule: rule, transition: t, namespace: "T", unit: "Count",
                            sampleLines: [AlarmSampleLine(time: 1_793_491_201_000, source: "app.log", line: "ERROR boom \"quoted\"")])
    }

    func delivery(_ dir: String) -> AlarmDelivery {
        var d = AlarmDelivery(clock: SystemClock(), output: TextBuffer(), base: dir, environment: ["PATH": "/usr/bin:/bin"])
        d.commandSeconds = 2
        return d
    }

    func testSlackGetsATextBodyAndWebhookTheMessage() throws {
        let server = try TestHTTPServer(script: [], fallback: .status(200, "ok"))
        defer { server.stop() }
        let m = try message()
        XCTAssertNil(delivery("").deliver(m, key: "k1", reminder: false, to: try AlarmNotifierSpec.parse("slack \(server.url)/services/T0/B0/XYZ")))
        XCTAssertNil(delivery("").deliver(m, key: "k2", reminder: true, to: try AlarmNotifierSpec.parse("webhook \(server.url)/hook")))
        let requests = server.requests
        XCTAssertEqual(requests.count, 2)
        let text = (requests[0].json as? [String: Any])?["text"] as? String ?? ""
        XCTAssertTrue(text.hasPrefix("ALARM: \"Spike\""), text)
        XCTAssertTrue(text.contains("app.log: ERROR boom \"quoted\""), text)
        let body = requests[1].json as? [String: Any] ?? [:]
        XCTAssertEqual(body["NewStateValue"] as? String, "ALARM")
        XCTAssertEqual((body["SampleLines"] as? [[String: Any]])?.first?["line"] as? String, "ERROR boom \"quoted\"")
        // A receiver that refuses: the error names the endpoint and the status, not the URL's path.
        let refusing = try TestHTTPServer(script: [], fallback: .status(400, "bad"))
        defer { refusing.stop() }
        let error = delivery("").deliver(m, key: "k3", reminder: false, to: try AlarmNotifierSpec.parse("slack \(refusing.url)/services/SECRET"))
        XCTAssertNotNil(error)
        XCTAssertTrue(error!.contains("HTTP 400"), error!)
        XCTAssertFalse(error!.contains("SECRET"), error!)
    }

    func testACommandGetsTheMessageOnStdinAndFailuresAreReported() throws {
        let tmp = TemporaryDirectory(prefix: "logmill-notify-command")
        defer { tmp.cleanup() }
        let script = tmp.path + "/page.sh"
        try "#!/bin/sh\ncat > \"$(dirname \"$0\")/got.json\"\necho \"$LOGMILL_ALARM_NAME $LOGMILL_ALARM_STATE $LOGMILL_ALARM_OLD_STATE\" > \"$(dirname \"$0\")/env.txt\"\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let m = try message()
        XCTAssertNil(delivery(tmp.path).deliver(m, key: "k", reminder: false, to: try AlarmNotifierSpec.parse("command ./page.sh")))
        XCTAssertEqual(try String(contentsOfFile: tmp.path + "/got.json", encoding: .utf8), m.json)
        XCTAssertEqual(try String(contentsOfFile: tmp.path + "/env.txt", encoding: .utf8), "Spike ALARM OK\n")

        try "#!/bin/sh\necho 'pager is down' >&2\nexit 3\n".write(toFile: tmp.path + "/fail.sh", atomically: true, encoding: .utf8)
        chmod(tmp.path + "/fail.sh", 0o755)
        XCTAssertEqual(delivery(tmp.path).deliver(m, key: "k", reminder: false, to: try AlarmNotifierSpec.parse("command fail.sh")),
                       "command fail.sh: exit status 3: pager is down")
        try "#!/bin/sh\nexec sleep 30\n".write(toFile: tmp.path + "/hang.sh", atomically: true, encoding: .utf8)
        chmod(tmp.path + "/hang.sh", 0o755)
        XCTAssertEqual(delivery(tmp.path).deliver(m, key: "k", reminder: false, to: try AlarmNotifierSpec.parse("command hang.sh")),
                       "command hang.sh: still running after 2 s; stopped")
        XCTAssertTrue(delivery(tmp.path).deliver(m, key: "k", reminder: false, to: try AlarmNotifierSpec.parse("command nope.sh"))?
            .hasPrefix("command nope.sh: cannot run it") ?? false)

        let out = TextBuffer()
        var d = delivery(tmp.path)
        d.output = out
        XCTAssertNil(d.deliver(m, key: "k", reminder: true, to: .stdout))
        XCTAssertTrue(out.text.hasPrefix("still ALARM: \"Spike\""), out.text)
    }
}
