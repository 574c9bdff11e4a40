/// Functions added to the Insights language in 2026 (reference §3, marked 2026).
enum Functions2026 {
    static let all: [RegisteredFunction] = [
        RegisteredFunction(name: "round", arity: 1...2, usage: "round(x [, decimals])") { args, _ in
            guard let x = args[0].number else { return .null }
            let d = args.count > 1 ? (args[1].number ?? 0) : 0
            var p = 1.0
            for _ in 0..<Int(max(0, min(15, d))) { p *= 10 }
            return .number((x * p).rounded(.toNearestOrAwayFromZero) / p)
        },
    ]
}
