import Foundation

/// An INI file as the AWS CLI writes them: `[section]` headers, `key = value` lines, `#`/`;` comments,
/// and nested blocks (`s3 =` followed by indented `key = value` lines, stored as `s3.key`).
public struct AWSIniFile: Sendable {
    /// Section name as written between the brackets (trimmed, inner runs of spaces collapsed) → keys.
    public var sections: [String: [String: String]] = [:]

    public init() {}

    public init(text: String) {
        var current: String?
        var nestedParent: String?
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("["), let close = trimmed.lastIndex(of: "]") {
                let name = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
                    .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                current = name
                nestedParent = nil
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let section = current, let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            var value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            // Inline comments need whitespace before the marker, as in botocore.
            for marker in [" #", " ;", "\t#", "\t;"] {
                if let r = value.range(of: marker) { value = String(value[..<r.lowerBound]).trimmingCharacters(in: .whitespaces) }
            }
            let indented = line.first == " " || line.first == "\t"
            if indented, let parent = nestedParent {
                sections[section]?["\(parent).\(key)"] = value
            } else {
                sections[section]?[key] = value
                nestedParent = value.isEmpty ? key : nil
            }
        }
    }

    public static func load(_ path: String) -> AWSIniFile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return AWSIniFile(text: String(decoding: data, as: UTF8.self))
    }
}

/// The environment and shared files the AWS CLI reads, for one profile.
public struct AWSSharedConfig: Sendable {
    public let environment: [String: String]
    /// The selected profile: the explicit one, else `AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, `default`.
    public let profile: String
    /// True when the profile was named in code or the job file (then environment keys are skipped, as botocore does).
    public let profileExplicit: Bool
    public let credentialsPath: String
    public let configPath: String
    public let credentialsFile: AWSIniFile?
    public let configFile: AWSIniFile?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, profile: String? = nil) {
        self.environment = environment
        let home = environment["HOME"] ?? NSHomeDirectory()
        func expand(_ p: String) -> String { p.hasPrefix("~/") ? home + p.dropFirst(1) : p }
        let named = profile.flatMap { $0.isEmpty ? nil : $0 }
        self.profileExplicit = named != nil
        self.profile = named ?? environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["AWS_DEFAULT_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        credentialsPath = expand(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials")
        configPath = expand(environment["AWS_CONFIG_FILE"] ?? "~/.aws/config")
        credentialsFile = AWSIniFile.load(credentialsPath)
        configFile = AWSIniFile.load(configPath)
    }

    /// The profile's keys in the credentials file (`[name]`).
    public var credentialsSection: [String: String]? { credentialsFile?.sections[profile] }

    /// The profile's keys in the config file (`[profile name]`, or `[default]` for the default profile).
    public var configSection: [String: String]? { configSection(profile) }

    public func configSection(_ name: String) -> [String: String]? {
        guard let f = configFile else { return nil }
        if let s = f.sections["profile \(name)"] { return s }
        if name == "default" { return f.sections["default"] }
        return nil
    }

    /// `[services name]` in the config file.
    public func servicesSection(_ name: String) -> [String: String]? { configFile?.sections["services \(name)"] }

    /// Whether the selected profile exists in either file.
    public var profileExists: Bool { credentialsSection != nil || configSection != nil }

    /// A non-empty environment variable.
    public func env(_ name: String) -> String? {
        guard let v = environment[name], !v.isEmpty else { return nil }
        return v
    }

    /// Region: `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's `region`.
    public var region: String? {
        env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? configSection?["region"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
