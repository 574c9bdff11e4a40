import LogmillRecords

/// Presence tests and choices: `ispresent`, `isempty`, `isblank`, `coalesce`, `case`, `if`.
enum ConditionalFunctions {
    static let registered: [RegisteredFunction] = [
        RegisteredFunction(.ispresent, arity: 1...1),
        RegisteredFunction(.coalesce, arity: 1...100),
        RegisteredFunction(.isempty, arity: 1...1),
        RegisteredFunction(.isblank, arity: 1...1),
        // `case` and `if` receive evaluated arguments: the registry evaluates every argument before
        // the call, so both branches are computed. That is safe because no function has side effects;
        // only the cost of evaluating the unused branch is paid.
        RegisteredFunction(name: "case", arity: 2...21, usage: "case(cond1, value1, cond2, value2, … [, default]) (at most 10 conditions)") { a, _ in
            var i = 0
            while i + 1 < a.count {
                if a[i].isTrue { return a[i + 1] }
                i += 2
            }
            return a.count % 2 == 1 ? a[a.count - 1] : .null
        },
        RegisteredFunction(name: "if", arity: 3...3, usage: "if(condition, valueIfTrue, valueIfFalse)") { a, _ in
            a[0].isTrue ? a[1] : a[2]
        },
    ]

    static func isBlank(_ v: Value, whitespace: Bool) -> Value {
        guard let r = v.withText({ b -> Bool in
            if b.count == 0 { return true }
            if !whitespace { return false }
            for c in b where !Bytes.isSpace(c) { return false }
            return true
        }) else { return .int(1) }
        return .int(r ? 1 : 0)
    }
}
