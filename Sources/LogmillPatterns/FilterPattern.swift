/// CloudWatch Logs metric filter patterns, matched over the bytes of one log event (a line without
/// its newline). The spec is the shared protocols reference, section 6; where it and the service
/// differ this module follows the service and says so where it happens; `Inferred:` marks behaviour
/// neither documents.
///
/// ```swift
/// let p = try FilterPattern.parse(#"{ $.level = "error" && $.latency > 500 }"#)
/// p.kind                                   // .json
/// line.withUnsafeBytes { p.matches($0) }   // Bool; no allocation per line (escaped JSON strings aside)
/// line.withUnsafeBytes { buf in
///     guard let m = p.extract(buf) else { return }
///     m.number("$.latency", in: buf)        // Double?
///     m.text("$.service", in: buf)          // String?: only a matched line pays for a String
/// }
/// ```
///
/// The four kinds, chosen by the first character (after leading spaces):
/// - `{ … }` JSON: `$.a.b[0] op value` joined with `&&`, `||` and parentheses; `IS TRUE|FALSE|NULL`,
///   `NOT EXISTS`; values are numbers (compared by value), bare words, quoted strings, with a `*`
///   wildcard at either end, or `%regex%`. Selected paths are found with a cursor over the line; no
///   tree is built. Events that are not one JSON object never match.
/// - `[ … ]` space-delimited: positional names, `...` once, unnamed slots, a condition per name
///   (`status = 5*`, `bytes > 1000`, `w != A && w != B`); fields are split on spaces and tabs, `"…"`
///   and `[…]` are one field; with more fields than names the last name takes the rest of the event.
///   A match reports `$name` and every value by position (`$1`, `$7`).
/// - `%…%` a regular expression (the service's subset: no groups, ASCII only), searched anywhere.
/// - anything else: terms (AND), `"quoted phrases"`, `?term` groups (OR), `-term` exclusions, all
///   case-sensitive and found anywhere (inside longer words too) with a literal search (`memmem`);
///   an empty pattern, or `" "`, matches every event.
///
/// Sources, in this order: the AWS CloudWatch Logs user guide ("Filter and pattern syntax", its 2020
/// and 2022 editions, whose examples are cited as "the guide"), the reference, the AWS CDK's rendering.
///
/// `MetricFilter` (MetricFilter.swift) adds PutMetricFilter's metric value (`$.latency`, `$size` or a
/// literal), default value and up to three dimensions.
///
/// Parsing throws `FilterPatternError` (1-based column, message). A `FilterPattern` is immutable and
/// may be used from several threads at once.
import LogmillRegex
import LogmillRecords

/// A pattern that does not parse, or exceeds the service's limits.
public struct FilterPatternError: Error, Equatable, CustomStringConvertible, Sendable {
    /// 1-based column, in characters, of the offending part of the pattern.
    public let column: Int
    public let message: String
    public var description: String { "filter pattern error at column \(column): \(message)" }
}

/// A parsed CloudWatch Logs filter pattern.
public struct FilterPattern: Sendable {
    public enum Kind: Sendable, Equatable { case terms, regex, json, spaceDelimited }

    /// The service's limits (PutMetricFilter `filterPattern`, and the regex quota of section 6.2).
    public static let maxLength = 1024
    public static let maxRegexesInStructuredPattern = 2

    /// The source text.
    public let text: String
    let body: Body

    enum Body: Sendable {
        case terms(TermPattern)
        case regex(ByteRegex)
        case json(JSONPattern)
        case delimited(DelimitedPattern)
    }

    public var kind: Kind {
        switch body {
        case .terms: return .terms
        case .regex: return .regex
        case .json: return .json
        case .delimited: return .spaceDelimited
        }
    }

    /// The names a match can report: JSON selectors as written (`$.a.b[0]`), space-delimited names
    /// with their `$` (`$status`). Empty for term and regex patterns.
    public var fieldNames: [String] {
        switch body {
        case .terms, .regex: return []
        case .json(let j): return j.selectors.map(\.text)
        case .delimited(let d): return d.slots.filter { $0.name != nil }.map(\.key)
        }
    }

    public static func parse(_ text: String) throws(FilterPatternError) -> FilterPattern {
        let src = PatternSource(text)
        if text.count > maxLength {
            throw FilterPatternError(column: maxLength + 1, message: "a filter pattern is at most \(maxLength) characters")
        }
        var start = 0
        while start < src.bytes.count, src.bytes[start] == 0x20 || src.bytes[start] == 0x09 { start += 1 }
        var end = src.bytes.count
        while end > start, src.bytes[end - 1] == 0x20 || src.bytes[end - 1] == 0x09 { end -= 1 }
        let first = start < end ? src.bytes[start] : 0
        let last = start < end ? src.bytes[end - 1] : 0
        switch first {
        case UInt8(ascii: "{"):
            guard last == UInt8(ascii: "}"), end - start >= 2 else { throw src.error(at: end, "a JSON pattern must end with '}'") }
            return FilterPattern(text: text, body: .json(try JSONPattern.parse(src, from: start + 1, to: end - 1)))
        case UInt8(ascii: "["):
            guard last == UInt8(ascii: "]"), end - start >= 2 else { throw src.error(at: end, "a space-delimited pattern must end with ']'") }
            return FilterPattern(text: text, body: .delimited(try DelimitedPattern.parse(src, from: start + 1, to: end - 1)))
        case UInt8(ascii: "%") where end - start >= 2 && last == UInt8(ascii: "%"):
            return FilterPattern(text: text, body: .regex(try src.compileRegex(from: start + 1, to: end - 1)))
        default:
            return FilterPattern(text: text, body: .terms(try TermPattern.parse(src, from: start, to: end)))
        }
    }

    /// Byte strings every matching event contains, for a scan's block prefilter (`LiteralFinder`):
    /// the terms of a pattern without `?` groups, a regex's required literals. nil when there are
    /// none to rely on (JSON strings may be escaped, so JSON patterns give none).
    public var requiredLiterals: [[UInt8]]? {
        switch body {
        case .terms(let t): return t.groups.count == 1 ? t.groups[0].map(\.bytes) : nil
        case .regex(let r): return r.requiredLiterals
        case .json, .delimited: return nil
        }
    }

    /// Whether the event `line` matches.
    public func matches(_ line: UnsafeRawBufferPointer) -> Bool {
        switch body {
        case .terms(let t): return t.matches(line)
        case .regex(let r): return r.isMatch(line)
        case .json(let j): return j.matches(line)
        case .delimited(let d): return d.extract(line, collect: false) != nil
        }
    }

    /// For a matching line, the values of the pattern's named fields (see `fieldNames`); nil when
    /// the line does not match. The values are ranges of `line`: read them with the same buffer.
    public func extract(_ line: UnsafeRawBufferPointer) -> PatternMatch? {
        switch body {
        case .terms(let t): return t.matches(line) ? PatternMatch(fields: []) : nil
        case .regex(let r): return r.isMatch(line) ? PatternMatch(fields: []) : nil
        case .json(let j): return j.extract(line)
        case .delimited(let d): return d.extract(line)
        }
    }
}

/// The fields a match found, as ranges of the matched line.
public struct PatternMatch: Sendable {
    public struct Field: Sendable, Equatable {
        /// `$.a.b` for a JSON selector, `$name` for a space-delimited field.
        public let name: String
        public let value: Scalar
    }
    /// The named fields: JSON selectors, space-delimited names.
    public let fields: [Field]
    /// A space-delimited event's values in order, `$1` first (fields an ellipsis covers included).
    public let positions: [Scalar]

    init(fields: [Field], positions: [Scalar] = []) {
        self.fields = fields
        self.positions = positions
    }

    /// A field by name (`$.a.b`, `$status`) or, in a space-delimited match, by position (`$7`).
    public func field(_ name: String) -> Scalar? {
        if let f = fields.first(where: { $0.name == name }) { return f.value }
        if let n = Self.position(name), n <= positions.count { return positions[n - 1] }
        return nil
    }

    /// `N` of `$N` (N ≥ 1), else nil.
    static func position(_ name: String) -> Int? {
        let digits = name.dropFirst()
        guard name.hasPrefix("$"), !digits.isEmpty, digits.count < 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let n = Int(digits), n >= 1 else { return nil }
        return n
    }
    /// The field's text (JSON strings unescaped; numbers, `true`, `false`, `null` as written).
    public func text(_ name: String, in line: UnsafeRawBufferPointer) -> String? {
        field(name)?.text(in: line)
    }
    /// The field's value as a number: a JSON number, or text that is one number.
    public func number(_ name: String, in line: UnsafeRawBufferPointer) -> Double? {
        field(name)?.number(in: line)
    }
}

/// A scalar found in a line: a range of the line's bytes and what it holds.
public struct Scalar: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A JSON string's content (between the quotes); `escaped` when it holds backslashes.
        case string(escaped: Bool)
        case number, bool, null
        /// A space-delimited field (quotes or brackets already removed).
        case text
    }
    public let range: Range<Int>
    public let kind: Kind

    /// Calls `body` with the value's bytes, unescaped when it is an escaped JSON string.
    func withBytes<R>(_ line: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if case .string(escaped: true) = kind {
            var out: [UInt8] = []
            JSONCursor.unescape(line, range, into: &out)
            return out.withUnsafeBytes(body)
        }
        return body(UnsafeRawBufferPointer(rebasing: line[range]))
    }

    public func text(in line: UnsafeRawBufferPointer) -> String {
        withBytes(line) { String(decoding: $0, as: UTF8.self) }
    }

    /// A JSON number, or a string or field holding exactly one number. JSON booleans and null are not numbers.
    public func number(in line: UnsafeRawBufferPointer) -> Double? {
        switch kind {
        case .bool, .null: return nil
        default: return withBytes(line) { Bytes.parseDouble($0) }
        }
    }
}
