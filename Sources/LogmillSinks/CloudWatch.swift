/// Sink kinds: CloudWatch PutMetricData (cloudwatch).
enum CloudWatchSinks {
    static let kinds: [(kind: String, usage: String)] = []
    static let builders: [String: SinkFactory.Builder] = [:]
}
