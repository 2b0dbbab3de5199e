import ArgumentParser
import DemixerCore
import Foundation
import ModelStore

/// `demixer weights`: the official models and the installed weights.
struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights",
        abstract: "List, fetch, import and verify model weights (in $XDG_CACHE_HOME/demixer/weights).",
        subcommands: [List.self, Fetch.self, Import.self, Verify.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the known models and whether each is installed.")

        func run() throws {
            try reportingFailures {
                let store = try openStore()
                for status in store.list() {
                    let state = !status.isInstalled ? "not installed" : status.model.isBundled ? "bundled" : "installed"
                    print("\(status.model.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(state.padding(toLength: 14, withPad: " ", startingAt: 0)) \(status.model.description)")
                }
                print("weights folder: \(store.locations.weightsDirectory.path)")
            }
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model's files, verify their sha256 and install them.")

        @Argument(help: "The model to fetch, e.g. htdemucs.")
        var model: String = ModelStore.defaultModel

        @Option(help: ArgumentHelp(
            "Download from this base URL instead of the official one (also $DEMIXER_WEIGHTS_URL).", valueName: "url"))
        var url: String?

        func run() throws {
            try reportingFailures {
                let store = try openStore()
                let base = try url.map { text -> URL in
                    guard let parsed = URL(string: text), parsed.scheme != nil else {
                        throw Failure(message: "--url \(text): not a URL", status: ExitStatus.usage)
                    }
                    return parsed
                }
                let bar = ProgressReporter(label: model)
                let fetched: [ModelStore.FetchedFile]
                do {
                    fetched = try store.fetch(model, from: base) { progress in
                        if let total = progress.bytesTotal, total > 0 {
                            bar.update(
                                fraction: Double(progress.bytesDone) / Double(total),
                                detail: "\(progress.file) (\(progress.fileIndex + 1)/\(progress.fileCount))")
                        }
                    }
                } catch {
                    throw Failure(message: "\(error)", status: ExitStatus.missingWeights)
                }
                bar.clear()
                for file in fetched {
                    print("\(file.name): \(file.outcome == .downloaded ? "downloaded and verified" : "already installed")")
                }
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install a local .th or .safetensors model file after checking that it loads.")

        @Argument(help: "The model file.")
        var path: String

        func run() throws {
            try reportingFailures {
                do {
                    let installed = try openStore().importModel(at: URL(fileURLWithPath: path))
                    print("installed \(installed.path)")
                } catch let failure as Failure {
                    throw failure
                } catch {
                    throw Failure(message: "\(error)", status: ExitStatus.missingWeights)
                }
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-hash the installed files and report any damage.")

        @Argument(help: "Models to check (default: every installed one).")
        var models: [String] = []

        func run() throws {
            try reportingFailures {
                let results: [ModelStore.Verification]
                do {
                    results = try openStore().verify(models.isEmpty ? nil : models)
                } catch {
                    throw Failure(message: "\(error)", status: ExitStatus.usage)
                }
                var damaged = false
                for result in results where !(models.isEmpty && result.isAbsent) {
                    for file in result.files {
                        print("\(result.model): \(file.name): \(file.health)")
                    }
                    damaged = damaged || !result.isHealthy
                }
                if damaged {
                    throw Failure(message: "some weights are missing or damaged: run `demixer weights fetch MODEL`", status: ExitStatus.missingWeights)
                }
            }
        }
    }
}

private func openStore() throws -> ModelStore {
    do {
        return try ModelStore.standard()
    } catch {
        throw Failure(message: "\(error)", status: ExitStatus.missingWeights)
    }
}
