import Foundation
import Testing

/// Runs cases against the built `demixer` and checks what every run must satisfy.
enum Fuzzer {
    static let executable: URL = {
        var url = Bundle.main.bundleURL
        if url.pathExtension == "xctest" { url = url.deletingLastPathComponent() }
        return url.appendingPathComponent("demixer")
    }()

    static let allowedStatuses: Set<Int32> = [0, 64, 66, 70, 73, 78]

    static func environmentNumber(_ name: String, default value: Double) -> Double {
        ProcessInfo.processInfo.environment[name].flatMap(Double.init) ?? value
    }
    /// Total wall-clock budget of the mutation tests (the regression cases always run in full).
    static let budget = environmentNumber("DEMIXER_FUZZ_SECONDS", default: 72)
    static let timeout = environmentNumber("DEMIXER_FUZZ_TIMEOUT", default: 40)
    static let memoryMB = Int(environmentNumber("DEMIXER_FUZZ_MEMORY_MB", default: 3072))
    /// The first case's seed: fixed by default so CI replays the same sequence; `random` for a fresh one.
    static let firstSeed: UInt64 = {
        let text = ProcessInfo.processInfo.environment["DEMIXER_FUZZ_SEED"] ?? "1"
        return text == "random" ? UInt64.random(in: 1..<(1 << 40)) : UInt64(text) ?? 1
    }()
    /// Where findings are written as regression-case folders.
    static let findings = URL(
        fileURLWithPath: ProcessInfo.processInfo.environment["DEMIXER_FUZZ_FINDINGS"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("demixer-fuzz-findings").path)

    struct Result {
        var problems: [String]
        var outcome: Outcome
        var arguments: [String]
    }

    /// Runs one case in a fresh sandbox and lists every rule it broke.
    static func run(
        files: [String: [UInt8]], arguments: [String], expectedOutputs: Int?, program: String = executable.path
    ) throws -> Result {
        let sandbox = try Sandbox()
        for (name, bytes) in files {
            try Data(bytes).write(to: sandbox.inputs.appendingPathComponent(name))
        }
        let resolved = arguments.map { argument -> String in
            if argument.hasPrefix("@") { return sandbox.input(String(argument.dropFirst())) }
            return argument.replacingOccurrences(of: "{out}", with: sandbox.out.path)
        }
        let before = sandbox.snapshot()
        let outcome = try runCapped(
            [program] + resolved, directory: sandbox.root.path, environment: sandbox.environment, memoryMB: memoryMB,
            timeout: timeout)
        var problems: [String] = []
        if outcome.timedOut {
            problems.append("still running after \(Int(timeout)) s on a tiny input (killed)")
        } else if let signal = outcome.signal {
            problems.append("killed by signal \(signal)")
        } else if let status = outcome.exitStatus, !allowedStatuses.contains(status) {
            problems.append("exit status \(status), not one of \(allowedStatuses.sorted())")
        }
        if let status = outcome.exitStatus, status != 0, outcome.errors.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append("exit status \(status) with nothing on stderr")
        }
        let after = sandbox.snapshot()
        let changed = Set(after.keys).union(before.keys).filter { before[$0] != after[$0] }.sorted()
        if !changed.isEmpty { problems.append("wrote outside the output folder: \(changed.prefix(10))") }
        let staged = sandbox.stagedTemporaries()
        if !staged.isEmpty { problems.append("left staged temporaries: \(staged.prefix(10))") }
        if let expectedOutputs, outcome.exitStatus == 0, !outcome.timedOut {
            let written = sandbox.outputs()
            if written.count != expectedOutputs {
                problems.append("exit 0 but \(written.count) files written, not \(expectedOutputs): \(written.prefix(10))")
            }
        }
        return Result(problems: problems, outcome: outcome, arguments: resolved)
    }

    static func describe(_ result: Result, _ title: String) -> String {
        let tail = result.outcome.errors.split(separator: "\n").suffix(6).joined(separator: "\n    ")
        return """
            \(title)
              \(result.problems.joined(separator: "\n  "))
              command: demixer \(result.arguments.joined(separator: " "))
              outcome: \(result.outcome.summary) in \(String(format: "%.1f", result.outcome.seconds)) s
              stderr tail:
                \(tail)
            """
    }

    /// Saves a failing case as a regression-case folder (the same layout as Regressions/).
    static func save(_ fuzzCase: FuzzCase, _ result: Result) -> URL? {
        let folder = findings.appendingPathComponent("\(fuzzCase.kind)-\(fuzzCase.seed)")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, bytes) in fuzzCase.files {
                // The fixture checkpoint and unmutated audio are referenced, not copied.
                if bytes == Seeds.checkpoint { continue }
                if let seed = Seeds.audio[name], seed == bytes { continue }
                try Data(bytes).write(to: folder.appendingPathComponent(name))
            }
            let record = RegressionCase(
                arguments: fuzzCase.arguments, expectedOutputs: fuzzCase.expectedOutputs,
                found: "\(fuzzCase.kind) seed \(fuzzCase.seed): \(fuzzCase.mutation) -> \(result.problems.joined(separator: "; "))")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(record).write(to: folder.appendingPathComponent("case.json"))
            return folder
        } catch {
            return nil
        }
    }

    /// Runs cases from `make` until `seconds` have passed (or the one case DEMIXER_FUZZ_CASE
    /// names, `KIND:SEED`), recording an issue for each broken rule; returns the counts per outcome.
    @discardableResult
    static func campaign(_ kind: String, seconds: Double, make: (UInt64) -> FuzzCase) throws -> [String: Int] {
        var seeds: AnySequence<UInt64> = AnySequence(firstSeed...)
        if let only = ProcessInfo.processInfo.environment["DEMIXER_FUZZ_CASE"] {
            let parts = only.split(separator: ":")
            guard parts.count == 2, parts[0] == kind, let seed = UInt64(parts[1]) else { return [:] }
            seeds = AnySequence([seed])
        }
        let deadline = Date().addingTimeInterval(seconds)
        var counts: [String: Int] = [:]
        var cases = 0
        for seed in seeds {
            if cases > 0 && Date() > deadline { break }
            let fuzzCase = make(seed)
            let result = try run(files: fuzzCase.files, arguments: fuzzCase.arguments, expectedOutputs: fuzzCase.expectedOutputs)
            cases += 1
            counts[result.outcome.summary, default: 0] += 1
            if ProcessInfo.processInfo.environment["DEMIXER_FUZZ_VERBOSE"] != nil {
                print("fuzz \(kind):\(seed) \(fuzzCase.mutation.prefix(120)) -> \(result.outcome.summary) "
                    + (result.outcome.errors.split(separator: "\n").last.map { String($0.prefix(160)) } ?? ""))
            }
            if !result.problems.isEmpty {
                let saved = save(fuzzCase, result)
                Issue.record(
                    Comment(rawValue: describe(result, "fuzz case \(kind):\(seed) (\(fuzzCase.mutation)); replay with "
                        + "DEMIXER_FUZZ_CASE=\(kind):\(seed); saved as \(saved?.path ?? "(not saved)")")))
            }
        }
        let summary = counts.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")
        print("fuzz \(kind): \(cases) cases from seed \(firstSeed) in \(String(format: "%.0f", seconds)) s budget: \(summary)")
        return counts
    }
}

/// A committed regression case: `case.json` beside its input files. In `arguments`,
/// `@NAME` is the file NAME of the case's folder (or, when the folder has none, the seed
/// of that name: the fixture checkpoint for `model.th`, else Seeds/NAME) and `{out}` the
/// output folder.
struct RegressionCase: Codable {
    var arguments: [String]
    var expectedOutputs: Int?
    var found: String
}
