import ArgumentParser
import Foundation
import RAGCore

/// Which generator writes the answers: the built-in extractive one, or a language model
/// behind an OpenAI-compatible API.
struct GeneratorOptions: ParsableArguments {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case extractive
        case openai
    }

    @Option(help: ArgumentHelp("extractive (built in, no network) or openai (an OpenAI-compatible server).", valueName: "kind"))
    var generator: Kind = .extractive

    @Option(
        help: ArgumentHelp(
            "With --generator openai: the API's base URL up to /v1, e.g. http://localhost:11434/v1 for Ollama. The key, if any, comes from OPENAI_API_KEY.",
            valueName: "url"))
    var llmBaseUrl: String?

    @Option(help: ArgumentHelp("With --generator openai: the model to ask, e.g. llama3.2 or gpt-4o-mini.", valueName: "name"))
    var llmModel: String?

    func validate() throws {
        guard generator == .openai else {
            if llmBaseUrl != nil || llmModel != nil {
                throw ValidationError("--llm-base-url and --llm-model go with --generator openai.")
            }
            return
        }
        guard let url = llmBaseUrl, let scheme = URL(string: url)?.scheme?.lowercased(), ["http", "https"].contains(scheme)
        else {
            throw ValidationError("--generator openai needs --llm-base-url, an http(s) URL such as http://localhost:11434/v1.")
        }
        guard let model = llmModel, !model.isEmpty else { throw ValidationError("--generator openai needs --llm-model.") }
    }

    /// The language-model generator, or `nil` for the built-in one (which the caller makes
    /// with the tokenizer it already has).
    var languageModel: (any Generator)? {
        guard generator == .openai, let llmBaseUrl, let llmModel else { return nil }
        return OpenAIGenerator(
            baseURL: llmBaseUrl, model: llmModel, apiKey: ProcessInfo.processInfo.environment["OPENAI_API_KEY"])
    }
}
