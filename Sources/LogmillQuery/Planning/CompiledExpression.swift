import LogmillTime
import LogmillRecords
import LogmillRegex

/// System fields every record has.
enum SystemField { case timestamp, message, logStream, log, ingestionTime }

/// Fields discovered in Lambda platform lines.
enum LambdaField {
    case type, requestId, duration, billedDuration, memorySize, maxMemoryUsed, initDuration, xrayTraceId, xraySegmentId, level

    /// The REPORT number it is, if it is one.
    var numeric: LambdaFields.Numeric? {
        switch self {
        case .duration: return .duration
        case .billedDuration: return .billedDuration
        case .memorySize: return .memorySize
        case .maxMemoryUsed: return .maxMemoryUsed
        case .initDuration: return .initDuration
        case .type, .requestId, .xrayTraceId, .xraySegmentId, .level: return nil
        }
    }
}

enum CmpOp { case eq, ne, lt, le, gt, ge }
enum ArithOp { case add, sub, mul, div, mod, pow }

/// An expression after names were resolved, regexes compiled and literals specialised.
indirect enum CExpr {
    case constant(Value)
    case slot(Int)
    case system(SystemField)
    case lambda(LambdaField)
    case discovered([UInt8])
    case aggregate(Int)
    case negate(CExpr)
    case not(CExpr)
    case and(CExpr, CExpr)
    case or(CExpr, CExpr)
    case arith(ArithOp, CExpr, CExpr)
    case compare(CmpOp, CExpr, CExpr)
    /// `x = "text"` where the literal is not a number: a byte comparison.
    case equalsText(CExpr, [UInt8], negated: Bool)
    /// `x like "text"`: substring search.
    case contains(CExpr, [UInt8], negated: Bool)
    case matches(CExpr, ByteRegex, negated: Bool)
    case inList(CExpr, [Value], negated: Bool)
    /// A function `EvalContext.call` runs in line.
    case call(InlineFunction, [CExpr])
    /// Map and list access on a structure (`doc.items[0].id`).
    case access(CExpr, [AccessStep])
    /// A function called with its evaluated arguments (`RegisteredFunction.Implementation.evaluated`).
    case evaluated(@Sendable ([Value], EvalContext) -> Value, [CExpr])
    case bin(Period)
    case periodFloor(CExpr, Period, ceiling: Bool)

    /// The Lambda REPORT fields this expression reads.
    var lambdaFields: LambdaFields.Wanted {
        switch self {
        case .lambda(let f):
            switch f {
            case .duration: return .duration
            case .billedDuration: return .billedDuration
            case .memorySize: return .memorySize
            case .maxMemoryUsed: return .maxMemoryUsed
            case .initDuration: return .initDuration
            case .xrayTraceId, .xraySegmentId: return .xray
            case .type, .requestId, .level: return []
            }
        case .constant, .slot, .aggregate, .system, .discovered, .bin: return []
        case .access(let e, _), .negate(let e), .not(let e), .equalsText(let e, _, _), .contains(let e, _, _), .matches(let e, _, _), .inList(let e, _, _), .periodFloor(let e, _, _):
            return e.lambdaFields
        case .and(let a, let b), .or(let a, let b), .arith(_, let a, let b), .compare(_, let a, let b): return a.lambdaFields.union(b.lambdaFields)
        case .call(_, let args), .evaluated(_, let args): return args.reduce([]) { $0.union($1.lambdaFields) }
        }
    }

    /// Whether it reads a discovered field (one that may come from the object's labels rather than
    /// the line, so no literal of the line can be required for it).
    var readsDiscovered: Bool {
        switch self {
        case .discovered: return true
        case .system, .lambda, .bin, .constant, .slot, .aggregate: return false
        case .access(let e, _): return e.readsDiscovered
        case .negate(let e), .not(let e), .equalsText(let e, _, _), .contains(let e, _, _), .matches(let e, _, _), .inList(let e, _, _), .periodFloor(let e, _, _):
            return e.readsDiscovered
        case .and(let a, let b), .or(let a, let b), .arith(_, let a, let b), .compare(_, let a, let b): return a.readsDiscovered || b.readsDiscovered
        case .call(_, let args), .evaluated(_, let args): return args.contains { $0.readsDiscovered }
        }
    }

    /// Field references this expression reads from the record (for materialising rows).
    var readsRecord: Bool {
        switch self {
        case .system, .lambda, .discovered, .bin: return true
        case .constant, .slot, .aggregate: return false
        case .access(let e, _): return e.readsRecord
        case .negate(let e), .not(let e), .equalsText(let e, _, _), .contains(let e, _, _), .matches(let e, _, _), .inList(let e, _, _), .periodFloor(let e, _, _):
            return e.readsRecord
        case .and(let a, let b), .or(let a, let b), .arith(_, let a, let b), .compare(_, let a, let b): return a.readsRecord || b.readsRecord
        case .call(_, let args), .evaluated(_, let args): return args.contains { $0.readsRecord }
        }
    }
}
