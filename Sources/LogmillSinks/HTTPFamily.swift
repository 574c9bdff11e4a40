/// Sink kinds: OTLP/HTTP JSON, StatsD, JSON webhooks.
enum HTTPSinks {
    static let kinds: [(kind: String, usage: String)] = []
    static let builders: [String: SinkFactory.Builder] = [:]
}
