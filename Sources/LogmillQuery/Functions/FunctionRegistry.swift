/// Scalar functions defined as data: a name (matched case-insensitively), an arity, a usage line
/// and an implementation over evaluated arguments. The 2026 additions to the language live here
/// (see `Functions2026.swift`); the original Tier 1 functions are `ScalarFunction`.
struct RegisteredFunction: Sendable {
    let name: String
    let arity: ClosedRange<Int>
    let usage: String
    let evaluate: @Sendable ([Value], EvalContext) -> Value
}

enum FunctionRegistry {
    static let functions: [RegisteredFunction] = Functions2026.all
    /// Lower-cased name → index in `functions`.
    static let index: [String: Int] = {
        var out: [String: Int] = [:]
        for (i, f) in functions.enumerated() { out[f.name.lowercased()] = i }
        return out
    }()
}
