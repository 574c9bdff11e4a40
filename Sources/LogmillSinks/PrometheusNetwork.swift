/// Sink kinds: Pushgateway, remote write, OpenMetrics files.
enum PrometheusNetworkSinks {
    static let kinds: [(kind: String, usage: String)] = []
    static let builders: [String: SinkFactory.Builder] = [:]
}
