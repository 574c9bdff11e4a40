/// Placeholder replaced below.
public enum JobCommands {
    public static let runHelp = ""
    public static let validateHelp = ""
    public static func run(_ args: [String]) -> Int32 { 2 }
    public static func validate(_ args: [String]) -> Int32 { 2 }
}
