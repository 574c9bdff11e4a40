import LogmillRecords

/// Unstructured terms: `ERROR ARGUMENTS` (all), `?ERROR ?WARN` (any), `ERROR -ARGUMENTS` (exclude),
/// `"INTERNAL SERVER ERROR"` (a phrase). Case-sensitive. A term matches anywhere, inside longer
/// words too: the service's guide (2020 edition) shows `ERROR` matching `Exiting with ERRORCODE: -1`,
/// settling what the reference leaves open (its section 16).
///
/// Groups: with no `?`, all terms form one group that must occur. Each `?` starts a new group and
/// the terms after it join that group, as the AWS CDK renders "any of these term groups"
/// (`?"A" "B" ?"C" "D"`). Inferred: terms before the first `?` form a group of their own, and
/// `-term` exclusions apply to the whole event whichever group they follow.
struct TermPattern: Sendable {
    struct Term: Sendable {
        let bytes: [UInt8]
    }
    /// Any group whose terms all occur matches (no groups: every event matches).
    let groups: [[Term]]
    let exclusions: [Term]

    static func parse(_ src: PatternSource, from: Int, to: Int) throws(FilterPatternError) -> TermPattern {
        var groups: [[Term]] = []
        var current: [Term] = []
        var exclusions: [Term] = []
        var sawQuestion = false
        var i = from
        let b = src.bytes
        while i < to {
            if b[i] == 0x20 || b[i] == 0x09 { i += 1; continue }
            let start = i
            var exclude = false
            if b[i] == UInt8(ascii: "?") {
                if sawQuestion || !current.isEmpty { groups.append(current) }
                current = []
                sawQuestion = true
                i += 1
            } else if b[i] == UInt8(ascii: "-") {
                exclude = true
                i += 1
            }
            guard i < to, b[i] != 0x20, b[i] != 0x09 else {
                throw src.error(at: start, "'\(Character(Unicode.Scalar(b[start])))' must be followed by a term")
            }
            var bytes: [UInt8]
            if b[i] == UInt8(ascii: "\"") {
                (bytes, i) = try src.quoted(at: i, to: to)
                if i < to, b[i] != 0x20, b[i] != 0x09 { throw src.error(at: i, "expected a space after the quoted term") }
            } else {
                var j = i
                while j < to, b[j] != 0x20, b[j] != 0x09 {
                    guard isWordByte(b[j]) else {
                        throw src.error(at: j, "a term holding '\(Character(Unicode.Scalar(b[j])))' must be in double quotes")
                    }
                    j += 1
                }
                bytes = Array(b[i..<j])
                i = j
            }
            // `" "` (and an empty phrase) matches every event: it adds nothing to a group.
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                if exclude { throw src.error(at: start, "cannot exclude an empty term") }
                continue
            }
            let term = Term(bytes: bytes)
            if exclude { exclusions.append(term) } else { current.append(term) }
        }
        if sawQuestion || !current.isEmpty { groups.append(current) }
        // A `?` group with no terms (`?" "`) matches every event, which makes the whole disjunction true.
        if groups.contains(where: \.isEmpty) { groups = [] }
        return TermPattern(groups: groups, exclusions: exclusions)
    }

    func matches(_ line: UnsafeRawBufferPointer) -> Bool {
        for t in exclusions where Self.occurs(t, in: line) { return false }
        if groups.isEmpty { return true }
        group: for g in groups {
            for t in g where !Self.occurs(t, in: line) { continue group }
            return true
        }
        return false
    }

    /// A literal search (`memmem`).
    static func occurs(_ t: Term, in line: UnsafeRawBufferPointer) -> Bool {
        t.bytes.withUnsafeBytes { Bytes.find($0, in: line, from: 0, to: line.count) != nil }
    }
}
