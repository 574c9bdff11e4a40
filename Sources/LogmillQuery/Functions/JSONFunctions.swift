/// JSON structures: `jsonParse`, `jsonStringify`, `jsonArraySize`, `jsonArrayContains`.
enum JSONFunctions {
    static let registered: [RegisteredFunction] = [
        RegisteredFunction(.jsonparse, arity: 1...1),
        RegisteredFunction(.jsonstringify, arity: 1...1),
        RegisteredFunction(name: "jsonArraySize", arity: 1...1, usage: "jsonArraySize(s)") { a, _ in
            guard case .array(let items)? = JSONFunctions.structure(a[0]) else { return .null }
            return .int(Int64(items.count))
        },
        RegisteredFunction(name: "jsonArrayContains", arity: 2...2, usage: "jsonArrayContains(s, value)") { a, _ in
            guard case .array(let items)? = JSONFunctions.structure(a[0]), !a[1].isNull else { return .int(0) }
            return .int(items.contains { JSONFunctions.element($0, matches: a[1]) } ? 1 : 0)
        },
    ]

    /// A list or map value, or JSON text parsed into one; nil otherwise.
    static func structure(_ v: Value) -> Structure? {
        if case .structure(let s) = v { return s }
        return v.withText { Structure.parse($0) } ?? nil
    }

    /// `jsonArrayContains` membership, case-sensitive: strings by bytes, numbers numerically (so
    /// the text `"42"` of a log field finds the number `42`, as `=` would), `true`/`false` by a
    /// Boolean or that word, maps and lists by their compact JSON text. `null` matches nothing.
    static func element(_ e: Structure, matches v: Value) -> Bool {
        switch e {
        case .null: return false
        case .bool(let b):
            if case .bool(let x) = v { return x == b }
            return v.text == (b ? "true" : "false")
        case .number(let n):
            if case .bool = v { return false }
            guard let d = Double(n), let x = v.number else { return false }
            return x == d
        case .string(let s):
            if case .bool = v { return false }
            return v.text == s
        case .object, .array:
            return v.text == e.json
        }
    }
}
