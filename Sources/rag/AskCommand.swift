import ArgumentParser

struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ask", abstract: "TODO")
    func run() async throws {}
}
