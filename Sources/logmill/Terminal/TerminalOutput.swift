import LogmillSinks

/// Standard output as a sink's text output (the table sink, EMF without a file).
struct TerminalOutput: TextOutput {
    struct WriteFailed: Error, CustomStringConvertible { var description: String { "cannot write to standard output" } }
    func write(_ text: String) throws {
        Terminal.out(text)
        if Terminal.writeFailed { throw WriteFailed() }
    }
}
