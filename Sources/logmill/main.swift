import Foundation

let code = CLI.main(Array(CommandLine.arguments.dropFirst()))
exit(code)
