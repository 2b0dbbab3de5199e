import Testing
@testable import AudioIO

/// A file made byte by byte, and what reading it must give.
struct BrokenFile: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable {
        /// libsndfile refuses it; the message is libsndfile's own.
        case unreadable
        case error(AudioIOError.Reason)
        /// It decodes to exactly these mono samples, with these warnings.
        case samples([Float], warnings: Int)
    }

    let name: String
    let bytes: [UInt8]
    let outcome: Outcome
    var testDescription: String { name }

    static let ramp = (0..<1000).map { Int16($0 * 30) }
    static let rampSamples = ramp.map { Float($0) / 32768 }

    static func wav(_ change: (inout WAVBytes) -> Void) -> [UInt8] {
        var wav = WAVBytes.pcm16(ramp)
        change(&wav)
        return wav.bytes
    }

    static let all: [BrokenFile] = [
        BrokenFile(name: "0 bytes", bytes: [], outcome: .unreadable),
        BrokenFile(name: "header cut inside fmt", bytes: Array(wav { _ in }.prefix(20)), outcome: .unreadable),
        BrokenFile(name: "header cut before data", bytes: Array(wav { _ in }.prefix(40)), outcome: .unreadable),
        BrokenFile(name: "text, not audio", bytes: Array("just some words".utf8), outcome: .unreadable),
        BrokenFile(name: "0 channels", bytes: wav { $0.channels = 0 }, outcome: .unreadable),
        BrokenFile(name: "2000 channels", bytes: wav { $0.channels = 2000 }, outcome: .unreadable),
        BrokenFile(name: "100 channels", bytes: wav { $0.channels = 100 }, outcome: .error(.channelCount(100))),
        BrokenFile(name: "sample rate 0", bytes: wav { $0.sampleRate = 0 }, outcome: .unreadable),
        BrokenFile(name: "sample rate 200 Hz", bytes: wav { $0.sampleRate = 200 }, outcome: .error(.sampleRate(200))),
        BrokenFile(
            name: "sample rate 10 MHz", bytes: wav { $0.sampleRate = 10_000_000 },
            outcome: .error(.sampleRate(10_000_000))),
        BrokenFile(name: "empty data chunk", bytes: WAVBytes.pcm16([]).bytes, outcome: .error(.noFrames)),
        BrokenFile(
            name: "data chunk claims more than the file holds", bytes: wav { $0.dataSize = 100_000_000 },
            outcome: .samples(rampSamples, warnings: 0)),
        BrokenFile(
            name: "never finalised, sizes 0xFFFFFFFF",
            bytes: wav {
                $0.riffSize = 0xFFFF_FFFF
                $0.dataSize = 0xFFFF_FFFF
            },
            outcome: .samples(rampSamples, warnings: 0)),
        // libsndfile takes a data size of 0 at its word: no frames.
        BrokenFile(
            name: "never finalised, sizes 0",
            bytes: wav {
                $0.riffSize = 0
                $0.dataSize = 0
            },
            outcome: .error(.noFrames)),
        BrokenFile(
            name: "NaN and infinity in a float WAV",
            bytes: WAVBytes.float32([0.5, .nan, .infinity, -.infinity, -0.25]).bytes,
            outcome: .samples([0.5, 0, 0, 0, -0.25], warnings: 1)),
        BrokenFile(
            name: "7 ms long", bytes: WAVBytes.pcm16(Array(ramp.prefix(309))).bytes,
            outcome: .samples(Array(rampSamples.prefix(309)), warnings: 0)),
    ]
}

@Suite("Broken and odd files")
struct BrokenFileTests {
    @Test("Each gives its specific error or a correct short result", arguments: BrokenFile.all)
    func brokenFile(_ file: BrokenFile) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("song.wav")
        try WAVBytes.write(file.bytes, to: path)

        let result = Result { () throws(AudioIOError) in try AudioFile.read(path) }

        switch (file.outcome, result) {
        case (.unreadable, .failure(let error)):
            guard case .unreadable = error.reason else {
                Issue.record("expected libsndfile to refuse it, got \(error)")
                return
            }
            #expect(error.description.hasPrefix("\(path): not a readable audio file (libsndfile: "))
        case (.error(let reason), .failure(let error)):
            #expect(error == AudioIOError(path: path, reason: reason))
        case (.samples(let samples, let warnings), .success(let decoded)):
            #expect(decoded.sourceChannelCount == 1)
            #expect(decoded.audio.channels == [samples, samples])
            #expect(decoded.warnings.count == warnings)
            #expect(decoded.warnings.allSatisfy { $0.hasPrefix(path) })
        default:
            Issue.record("expected \(file.outcome), got \(result)")
        }
    }

    @Test("Messages name the file and the reason")
    func messages() {
        #expect(
            AudioIOError(path: "song.wav", reason: .unreadable("Format not recognised")).description
                == "song.wav: not a readable audio file (libsndfile: Format not recognised)")
        #expect(
            AudioIOError(path: "x.wav", reason: .channelCount(2000)).description
                == "x.wav: 2000 channels; Demixer reads at most 64")
        #expect(
            AudioIOError(path: "x.wav", reason: .sampleRate(0)).description
                == "x.wav: sample rate 0 Hz; Demixer reads 1000…768000 Hz")
    }
}
