import LogmillDigest

/// Message digests of text, as lower-case hex: `md5`, `sha256`.
enum HashFunctions {
    static let registered: [RegisteredFunction] = [
        RegisteredFunction(name: "md5", arity: 1...1, usage: "md5(s)") { a, _ in
            a[0].withText { .string(MD5.hex($0)) } ?? .null
        },
        RegisteredFunction(name: "sha256", arity: 1...1, usage: "sha256(s)") { a, _ in
            a[0].withText { .string(SHA256.hex(Array($0))) } ?? .null
        },
    ]
}
