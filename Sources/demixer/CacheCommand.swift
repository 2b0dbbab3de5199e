import ArgumentParser
import DemixerCore
import Foundation
import ModelStore
import StemCache

/// `demixer cache`: the separated stems kept so that reopening a song is instant.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List or clear the cached stems (in $XDG_CACHE_HOME/demixer/stems).",
        subcommands: [List.self, Clear.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the cached songs, newest first, and writes that never finished.")

        func run() {
            let cache = StemCache(directory: Locations().stemsDirectory)
            let entries = cache.list()
            for entry in entries {
                let size = ByteCountFormatter.string(fromByteCount: Int64(entry.size), countStyle: .file)
                print("\(entry.key.hex.prefix(12))  \(formatDuration(entry.duration))  \(size)  \(entry.sources.joined(separator: ","))  \(entry.trackName)")
            }
            let stale = cache.staleTemporaries()
            for file in stale {
                let size = ByteCountFormatter.string(fromByteCount: file.size, countStyle: .file)
                print("unfinished  \(size)  \(file.path)  (left by an interrupted write; `demixer cache clear` removes it)")
            }
            print("\(entries.count) cached song\(entries.count == 1 ? "" : "s") in \(cache.directory.path)")
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every cached song and what interrupted writes left behind.")

        func run() throws {
            try reportingFailures {
                do {
                    let freed = try StemCache(directory: Locations().stemsDirectory).clear()
                    print("freed \(ByteCountFormatter.string(fromByteCount: Int64(freed), countStyle: .file))")
                } catch {
                    throw Failure(message: "\(error)", status: ExitStatus.writeFailure)
                }
            }
        }
    }
}
