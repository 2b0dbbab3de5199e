import Foundation
import Testing

/// Hostile inputs mutated from committed seeds, run through the `demixer` executable:
/// every run must end with a status from sysexits (0, 64, 66, 70, 73, 78), never a signal
/// or a hang, under a memory cap, writing nothing outside its output folder and leaving
/// no staged temporary behind. The budget is DEMIXER_FUZZ_SECONDS (default 72) for the
/// four mutation tests together; see Tests/FuzzTests/README.md.
@Suite(.serialized)
struct FuzzTests {
    @Test func theUnmutatedSeedsSeparateAndExitZero() throws {
        var cases: [(String, [String: [UInt8]], [String])] = Seeds.audioNames.map { name in
            ("\(name) with model.th", [name: Seeds.audio[name]!, "model.th": Seeds.checkpoint],
             ["separate", "@\(name)", "--weights", "@model.th", "-o", "{out}", "--no-cache"])
        }
        cases.append(
            ("safetensors", ["model.safetensors": Seeds.safetensors, Seeds.song: Seeds.audio[Seeds.song]!],
             ["separate", "@\(Seeds.song)", "--weights", "@model.safetensors", "-o", "{out}", "--no-cache"]))
        for (title, files, arguments) in cases {
            let result = try Fuzzer.run(files: files, arguments: arguments, expectedOutputs: 4)
            #expect(result.outcome.exitStatus == 0 && result.problems.isEmpty, "\(Fuzzer.describe(result, title))")
        }
    }

    /// The checks themselves, on a shell that misbehaves on purpose (it runs in the case's
    /// folder, where the output folder is w/w/w/w/w/out).
    @Test(arguments: [
        ("kill -SEGV $$", "killed by signal 11"),
        ("echo oops >&2; exit 2", "exit status 2"),
        ("exit 64", "nothing on stderr"),
        ("touch stray; echo x >&2; exit 78", "wrote outside the output folder"),
        ("echo x >> in/model.th; exit 0", "wrote outside the output folder"),
        ("touch w/w/w/w/w/out/.a.wav.Ab12Cd.tmp w/w/w/w/w/out/a.wav; exit 0", "left staged temporaries"),
        ("exit 0", "exit 0 but 0 files written"),
        ("touch w/w/w/w/w/out/a.wav cache/x; exit 0", ""),
        ("test \"$(ulimit -v)\" -le \(Fuzzer.memoryMB * 1024) || exit 99; touch w/w/w/w/w/out/a; exit 0", ""),
    ])
    func theChecksCatchSignalsStatusesStrayWritesAndLeftovers(_ script: String, _ expected: String) throws {
        let result = try Fuzzer.run(
            files: ["model.th": [1, 2, 3]], arguments: ["-c", script], expectedOutputs: 1, program: "/bin/sh")
        if expected.isEmpty {
            #expect(result.problems.isEmpty, "\(result.problems)")
        } else {
            #expect(result.problems.contains { $0.contains(expected) }, "\(result.problems)")
        }
    }

    @Test func committedRegressionCasesExitWithAnExpectedStatus() throws {
        let folders = (try? FileManager.default.contentsOfDirectory(
            at: Seeds.regressions, includingPropertiesForKeys: [.isDirectoryKey])) ?? []
        for folder in folders.sorted(by: { $0.path < $1.path }) where FileManager.default.fileExists(
            atPath: folder.appendingPathComponent("case.json").path)
        {
            let record = try JSONDecoder().decode(
                RegressionCase.self, from: Data(contentsOf: folder.appendingPathComponent("case.json")))
            var files: [String: [UInt8]] = [:]
            for argument in record.arguments where argument.hasPrefix("@") {
                let name = String(argument.dropFirst())
                if let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) {
                    files[name] = [UInt8](data)
                } else if name == "model.th" {
                    files[name] = Seeds.checkpoint
                } else {
                    files[name] = [UInt8](try Data(contentsOf: Seeds.folder.appendingPathComponent(name)))
                }
            }
            let result = try Fuzzer.run(files: files, arguments: record.arguments, expectedOutputs: record.expectedOutputs)
            #expect(result.problems.isEmpty, "\(Fuzzer.describe(result, "regression \(folder.lastPathComponent): \(record.found)"))")
        }
    }

    @Test func mutatedCheckpointsExitWithAUsageOrModelErrorNeverASignal() throws {
        try Fuzzer.campaign("checkpoint", seconds: Fuzzer.budget * 0.35, make: CheckpointMutator.make)
    }

    @Test func mutatedSafetensorsExitWithAUsageOrModelErrorNeverASignal() throws {
        try Fuzzer.campaign("safetensors", seconds: Fuzzer.budget * 0.2, make: SafetensorsMutator.make)
    }

    @Test func mutatedAudioHeadersExitWithAnInputErrorNeverASignal() throws {
        try Fuzzer.campaign("audio", seconds: Fuzzer.budget * 0.25, make: AudioMutator.make)
    }

    @Test func absurdOptionsAreRefusedOrWriteOneFilePerStem() throws {
        try Fuzzer.campaign("options", seconds: Fuzzer.budget * 0.2, make: OptionMutator.make)
    }
}
