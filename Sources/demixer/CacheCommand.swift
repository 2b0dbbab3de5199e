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
            abstract: "List the cached songs (most recently used first), separations in progress or interrupted, and the use of the size cap.")

        func run() throws {
            try reportingFailures(list)
        }

        private func list() throws {
            let cache = StemCache(directory: Locations().stemsDirectory, maxSize: try Config.load().cacheMaxSize)
            let contents = cache.list()
            func bytes(_ count: Int) -> String { ByteCountFormatter.string(fromByteCount: Int64(count), countStyle: .file) }
            for entry in contents.entries {
                print("\(entry.key.hex.prefix(12))  \(formatDuration(entry.duration))  \(bytes(entry.size))  \(entry.sources.joined(separator: ","))  \(entry.trackName)")
            }
            for partial in contents.partials {
                let state = partial.isBeingWritten ? "being separated" : "interrupted; resumes when the song is separated again"
                print("\(partial.key.hex.prefix(12))  \(formatDuration(partial.duration))  \(bytes(partial.size))  \(Int(partial.finishedFraction * 100)) % separated (\(state))  \(partial.trackName)")
            }
            for file in cache.staleTemporaries() {
                print("unfinished  \(bytes(Int(file.size)))  \(file.path)  (left by an interrupted write; `demixer cache clear` removes it)")
            }
            let songs = contents.entries.count
            print("\(songs) cached song\(songs == 1 ? "" : "s"), \(contents.partials.count) partial, \(bytes(contents.usedSize)) of \(bytes(contents.maxSize)) ([cache] max_size) in \(cache.directory.path)")
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every cached song, interrupted separation and what interrupted writes left behind.")

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
