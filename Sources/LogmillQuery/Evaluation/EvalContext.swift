import Glibc
import LogmillRecords

/// Per-worker evaluation state: the current record, its lazily discovered fields, and the row's slots.
final class EvalContext {
    /// Keeps other workers' objects off this one's cache lines (see `CacheLinePad`).
    private let padHead = CacheLinePad()
    @exclusivity(unchecked) var record = Record()
    var input: InputContext? = nil
    @exclusivity(unchecked) var hasRecord = false
    var slots: [Value]
    var aggregates: [Value] = []
    /// Epoch seconds at query start, for `now()`.
    let now: Double
    /// The `--from`/`--to` window in epoch ms, for `queryStartTime()` and `queryEndTime()`.
    var windowStart: Int64? = nil
    var windowEnd: Int64? = nil

    @exclusivity(unchecked) private var lambdaReady = false
    /// The REPORT fields the query reads (set from the plan), so parsing can stop early.
    var lambdaWanted: LambdaFields.Wanted = .all
    @exclusivity(unchecked) private var lambdaFields = LambdaFields()
    private var jsonReady = false
    let json = FieldTable()
    var tokens: [Range<Int>] = []
    /// The worker's line decoder, whose split of the current positional line is reused (scan only).
    unowned(unsafe) var decoder: RecordDecoder? = nil

    /// Ends the object too, so its last fields never share a cache line with what is allocated after it.
    private let padTail = CacheLinePad()

    init(slotCount: Int, now: Double) {
        slots = [Value](repeating: .null, count: slotCount)
        self.now = now
    }

    /// Points the context at a new record and forgets what was discovered in the previous one.
    @inline(__always) func begin(_ r: Record) {
        record = r
        hasRecord = true
        lambdaReady = false
        jsonReady = false
        for i in slots.indices { slots[i] = .null }
    }

    /// Locates the current record's Lambda fields, once per record, in place.
    @inline(__always) private func readyLambda() {
        if !lambdaReady {
            LambdaFields.parse(record.message, wanted: lambdaWanted, into: &lambdaFields)
            lambdaReady = true
        }
    }

    /// A REPORT number of the current record (what `lambdaValue` gives as `.number`, nil for null),
    /// read without building a `Value`.
    @inline(__always) func lambdaNumber(_ k: LambdaFields.Numeric) -> Double? {
        guard hasRecord else { return nil }
        readyLambda()
        return lambdaFields.number(k, in: record.message)
    }

    func system(_ f: SystemField) -> Value {
        guard hasRecord else { return .null }
        switch f {
        case .timestamp: return record.timestamp == Record.absent ? .null : .timestamp(record.timestamp)
        case .message: return .bytes(record.message)
        case .ingestionTime: return record.ingestionTime == Record.absent ? .null : .timestamp(record.ingestionTime)
        case .logStream:
            if let s = record.logStream { return .bytes(s) }
            return input?.logStream.map { .string($0) } ?? .null
        case .log:
            if let g = record.logGroup { return .bytes(g) }
            return input?.logGroup.map { .string($0) } ?? .null
        }
    }

    @inline(__always) func lambdaValue(_ f: LambdaField) -> Value {
        guard hasRecord else { return .null }
        readyLambda()
        if lambdaFields.type == .none {
            // Application lines of the Node.js and Python runtimes carry the request ID and a level.
            guard f == .requestId || f == .level, let app = LambdaApp.parse(record.message) else { return .null }
            return .bytes(UnsafeRawBufferPointer(rebasing: record.message[f == .level ? app.level : app.requestId]))
        }
        let m = record.message
        @inline(__always) func num(_ k: LambdaFields.Numeric) -> Value { lambdaFields.number(k, in: m).map { .number($0) } ?? .null }
        func text(_ r: Range<Int>?) -> Value { r.map { .bytes(UnsafeRawBufferPointer(rebasing: m[$0])) } ?? .null }
        switch f {
        case .type:
            switch lambdaFields.type {
            case .report: return .bytes(UnsafeRawBufferPointer(staticString: "REPORT"))
            case .start: return .bytes(UnsafeRawBufferPointer(staticString: "START"))
            case .end: return .bytes(UnsafeRawBufferPointer(staticString: "END"))
            case .none: return .null
            }
        case .requestId: return text(lambdaFields.requestId)
        case .duration: return num(.duration)
        case .billedDuration: return num(.billedDuration)
        case .memorySize: return num(.memorySize)
        case .maxMemoryUsed: return num(.maxMemoryUsed)
        case .initDuration: return num(.initDuration)
        case .xrayTraceId: return text(lambdaFields.xrayTraceId)
        case .xraySegmentId: return text(lambdaFields.xraySegmentId)
        case .level: return .null
        }
    }

    func discovered(_ name: [UInt8]) -> Value {
        guard hasRecord else { return .null }
        // S3 access and VPC flow lines: the decoder split the line already; take the one field asked
        // for by its position, without filling a table of every field.
        if let input, input.isPositional, let decoder, input.logType.isSplitAsTokenized, decoder.hasPositionalFields(of: record.message) {
            guard let k = input.fieldNames.firstIndex(where: { $0 == name }),
                  let r = decoder.positionalField(k, of: record.message), !r.isEmpty,
                  !(r.count == 1 && record.message[r.lowerBound] == UInt8(ascii: "-")) else { return input.hasLabels ? label(name) : .null }
            return .bytes(UnsafeRawBufferPointer(rebasing: record.message[r]))
        }
        if !jsonReady {
            jsonReady = true
            json.reset(source: record.message)
            let m = record.message
            var i = 0
            while i < m.count, Bytes.isSpace(m[i]) { i += 1 }
            if i < m.count, m[i] == UInt8(ascii: "{") {
                if !json.flattenObject(from: i, to: m.count) { json.reset(source: m) }
            } else if let input, input.isPositional {
                json.fillPositional(input.logType, names: input.fieldNames, tokens: &tokens)
            } else if let brace = LambdaApp.embeddedJSON(m) {
                // Lambda application lines: fields come from the first JSON object after the prefix.
                if !json.flattenObject(from: brace, to: m.count) { json.reset(source: m) }
            }
        }
        if json.count == 0 { return input?.hasLabels == true ? label(name) : .null }
        return name.withUnsafeBytes { n in
            json.lookup(n) { v, kind -> Value in
                switch kind {
                case .string, .number: return .bytes(v)
                case .boolTrue: return .bytes(UnsafeRawBufferPointer(staticString: "true"))
                case .boolFalse: return .bytes(UnsafeRawBufferPointer(staticString: "false"))
                }
            } ?? (input?.hasLabels == true ? label(name) : .null)
        }
    }

    /// A field the record does not have, from its object's labels (a discovered source's `service`).
    private func label(_ name: [UInt8]) -> Value {
        guard let input else { return .null }
        return name.withUnsafeBytes { n in input.label(n).map { .string($0) } ?? .null }
    }

    // MARK: evaluation

    @inline(__always) func truth(_ e: CExpr) -> Bool { eval(e).isTrue }

    /// Whether the current record passes a test on plain values (what evaluating its filter gives).
    @inline(__always) func passes(_ test: RecordTest) -> Bool {
        switch test {
        case .lambdaType(let wanted, let negated):
            guard hasRecord else { return false }
            readyLambda()
            let type = lambdaFields.type
            if type == .none { return false }
            return (type == wanted) != negated
        }
    }

    func eval(_ e: CExpr) -> Value {
        switch e {
        case .constant(let v): return v
        case .slot(let i): return slots[i]
        case .system(let f): return system(f)
        case .lambda(let f): return lambdaValue(f)
        case .discovered(let n): return discovered(n)
        case .aggregate(let i): return aggregates[i]
        case .negate(let x):
            guard let n = eval(x).number else { return .null }
            return .number(-n)
        case .not(let x):
            let v = eval(x)
            if v.isNull { return .bool(true) }
            return .bool(!v.isTrue)
        case .and(let a, let b): return .bool(truth(a) && truth(b))
        case .or(let a, let b): return .bool(truth(a) || truth(b))
        case .arith(let op, let a, let b):
            let x = eval(a), y = eval(b)
            return arith(op, x, y)
        case .compare(let op, let a, let b):
            guard let c = Value.compare(eval(a), eval(b)) else { return .bool(false) }
            switch op {
            case .eq: return .bool(c == 0)
            case .ne: return .bool(c != 0)
            case .lt: return .bool(c < 0)
            case .le: return .bool(c <= 0)
            case .gt: return .bool(c > 0)
            case .ge: return .bool(c >= 0)
            }
        case .equalsText(let x, let lit, let negated):
            let v = eval(x)
            guard let eq = v.withText({ t in lit.withUnsafeBytes { Bytes.equal(t, $0) } }) else { return .bool(false) }
            return .bool(eq != negated)
        case .contains(let x, let lit, let negated):
            let v = eval(x)
            guard let found = v.withText({ t in
                lit.isEmpty || lit.withUnsafeBytes { Bytes.find($0, in: t, from: 0, to: t.count) != nil }
            }) else { return .bool(false) }
            return .bool(found != negated)
        case .matches(let x, let re, let negated):
            let v = eval(x)
            guard let m = v.withText({ re.isMatch($0) }) else { return .bool(false) }
            return .bool(m != negated)
        case .inList(let x, let items, let negated):
            let v = eval(x)
            if v.isNull { return .bool(false) }
            var found = false
            for item in items where Value.equals(v, item) == true { found = true; break }
            return .bool(found != negated)
        case .call(let f, let args): return call(f, args)
        case .access(let base, let steps):
            guard case .structure(var st) = eval(base) else { return .null }
            for step in steps {
                guard let next = st.step(step) else { return .null }
                st = next
            }
            return st.value
        case .evaluated(let evaluate, let args): return evaluate(args.map { eval($0) }, self)
        case .bin(let p):
            guard hasRecord, record.timestamp != Record.absent else {
                if let t = slotTimestamp() { return .timestamp(p.floor(t)) }
                return .null
            }
            return .timestamp(p.floor(record.timestamp))
        case .periodFloor(let x, let p, let ceiling):
            guard let t = DateFunctions.timestamp(eval(x)) else { return .null }
            return .timestamp(ceiling ? p.ceil(t) : p.floor(t))
        }
    }

    /// `bin()` outside record evaluation has no `@timestamp` to read.
    private func slotTimestamp() -> Int64? { nil }

    @inline(__always) func arith(_ op: ArithOp, _ x: Value, _ y: Value) -> Value {
        guard let a = x.number, let b = y.number else { return .null }
        switch op {
        case .add: return .number(a + b)
        case .sub: return .number(a - b)
        case .mul: return .number(a * b)
        case .div: return b == 0 ? .null : .number(a / b)
        case .mod: return b == 0 ? .null : .number(fmod(a, b))
        case .pow: return .number(Glibc.pow(a, b))
        }
    }

    func call(_ f: InlineFunction, _ args: [CExpr]) -> Value {
        @inline(__always) func arg(_ i: Int) -> Value { eval(args[i]) }
        switch f {
        case .ispresent: return .bool(!arg(0).isNull)
        case .coalesce:
            for a in args { let v = eval(a); if !v.isNull { return v } }
            return .null
        case .isempty: return ConditionalFunctions.isBlank(arg(0), whitespace: false)
        case .isblank: return ConditionalFunctions.isBlank(arg(0), whitespace: true)
        case .unmask: return arg(0)
        case .jsonparse:
            let v = arg(0)
            if case .structure = v { return v }
            guard let st = v.withText({ Structure.parse($0) }) ?? nil else { return .null }
            switch st {
            case .object, .array: return .structure(st)
            default: return .null
            }
        case .jsonstringify:
            guard case .structure(let st) = arg(0) else { return .null }
            return .string(st.json)
        case .concat:
            var out = ""
            for a in args {
                guard let t = eval(a).text else { return .null }   // a missing argument makes the result missing
                out += t
            }
            return .string(out)
        case .ltrim: return StringFunctions.trim(arg(0), args.count > 1 ? arg(1) : nil, left: true, right: false)
        case .rtrim: return StringFunctions.trim(arg(0), args.count > 1 ? arg(1) : nil, left: false, right: true)
        case .trim: return StringFunctions.trim(arg(0), args.count > 1 ? arg(1) : nil, left: true, right: true)
        case .strlen: return StringFunctions.strlen(arg(0))
        case .toupper: return arg(0).text.map { .string($0.uppercased()) } ?? .null
        case .tolower: return arg(0).text.map { .string($0.lowercased()) } ?? .null
        case .substr: return StringFunctions.substr(arg(0), arg(1), args.count > 2 ? arg(2) : nil)
        case .replace: return StringFunctions.replace(arg(0), arg(1), arg(2))
        case .strcontains: return StringFunctions.contains(arg(0), arg(1), caseInsensitive: args.count > 2 && arg(2).isTrue)
        case .abs: return arg(0).number.map { .number(Swift.abs($0)) } ?? .null
        case .ceil: return arg(0).number.map { .number(Glibc.ceil($0)) } ?? .null
        case .floor: return arg(0).number.map { .number(Glibc.floor($0)) } ?? .null
        case .greatest, .least: return NumericFunctions.extreme(args.count, greatest: f == .greatest) { eval(args[$0]) }
        case .log: return arg(0).number.flatMap { $0 > 0 ? .number(Glibc.log($0)) : nil } ?? .null
        case .sqrt: return arg(0).number.flatMap { $0 >= 0 ? .number(Glibc.sqrt($0)) : nil } ?? .null
        case .bin: return .null  // compiled to .bin
        case .datefloor, .dateceil: return .null  // compiled to .periodFloor
        case .frommillis: return arg(0).number.flatMap(NumericFunctions.truncate).map { .timestamp($0) } ?? .null
        case .tomillis: return DateFunctions.timestamp(arg(0)).map { .int($0) } ?? .null
        case .now: return NumericFunctions.truncate(now).map { .int($0) } ?? .null   // `--now` is a user's number
        case .isvalidip, .isvalidipv4, .isvalidipv6:
            guard let t = arg(0).text else { return .bool(false) }
            let s = Substring(t)
            let v4 = f != .isvalidipv6 && IP.v4(s) != nil
            let v6 = f != .isvalidipv4 && IP.v6(s) != nil
            return .bool(v4 || v6)
        case .isipinsubnet, .isipv4insubnet, .isipv6insubnet:
            guard let ip = arg(0).text, let net = arg(1).text else { return .bool(false) }
            return .bool(IP.inSubnet(ip, net, v4Only: f == .isipv4insubnet, v6Only: f == .isipv6insubnet))
        }
    }
}
