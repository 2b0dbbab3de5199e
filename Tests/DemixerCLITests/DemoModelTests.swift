import AudioIO
import Foundation
import Testing

/// The bundled demo model and demo song, through the whole pipeline.
@Suite struct DemoModelTests {
    static let song = CLI.repository.appendingPathComponent("Weights/demo-song.flac")
    static let trueStems = CLI.repository.appendingPathComponent("Tests/DemixerCLITests/Fixtures/demo-song")

    /// Per-stem floors, about 1 dB below what Weights/MODEL_CARD.md reports for the demo
    /// song (13.65, 9.01, 11.11, 8.12 dB): room for other CPUs' rounding, none for a broken block.
    static let floors: [String: Double] = ["drums": 12.5, "bass": 8, "other": 10, "vocals": 7]

    /// museval-style SDR: the median over one-second frames of 10·log10(Σs² / Σ(s−ŝ)²),
    /// both channels together, skipping frames whose reference is silent.
    static func framewiseSDR(reference: [[Float]], estimate: [[Float]], frame: Int = 44_100) -> Double {
        var scores: [Double] = []
        var start = 0
        while start + frame <= reference[0].count {
            var signal = 0.0
            var error = 0.0
            for channel in reference.indices {
                for i in start..<(start + frame) {
                    let s = Double(reference[channel][i])
                    signal += s * s
                    error += (s - Double(estimate[channel][i])) * (s - Double(estimate[channel][i]))
                }
            }
            if signal > 0 { scores.append(10 * log10((signal + 1e-12) / (error + 1e-12))) }
            start += frame
        }
        scores.sort()
        guard !scores.isEmpty else { return -.infinity }
        return scores.count % 2 == 1
            ? scores[scores.count / 2] : (scores[scores.count / 2 - 1] + scores[scores.count / 2]) / 2
    }

    @Test func theDemoModelSeparatesTheDemoSongAboveItsMeasuredSDR() throws {
        let dir = try TemporaryDirectory()
        let run = try CLI.run([
            "separate", Self.song.path, "-n", "demo", "-o", dir.path("out"), "--bits", "32f", "--clip", "none",
            "--no-cache", "--filename", "{stem}.{ext}",
        ])
        try #require(run.status == 0, "\(run.errors)")
        for stem in ["drums", "bass", "other", "vocals"] {
            let truth = try AudioFile.read(Self.trueStems.appendingPathComponent("\(stem).flac").path).audio
            let estimate = try AudioFile.read(dir.path("out/demo/\(stem).wav")).audio
            try #require(estimate.frameCount == truth.frameCount && estimate.channels.count == 2)
            let sdr = Self.framewiseSDR(reference: truth.channels, estimate: estimate.channels)
            #expect(sdr >= Self.floors[stem]!, "\(stem): SDR \(sdr) dB is below the floor \(Self.floors[stem]!) dB")
        }
    }

    @Test func separatingWithoutInstalledWeightsOffersTheDemoModel() throws {
        let run = try CLI.run(["separate", Self.song.path, "-o", FileManager.default.temporaryDirectory.path])
        #expect(run.status == 78)
        #expect(run.errors.contains("not installed") && run.errors.contains("-n demo"), "\(run.errors)")
    }

    @Test func theDemoModelIsListedAsBundledAndVerifies() throws {
        let list = try CLI.run(["weights", "list"])
        #expect(list.output.split(separator: "\n").contains {
            $0.hasPrefix("demo ") && $0.contains("bundled")
        }, "\(list.output)")
        let verify = try CLI.run(["weights", "verify", "demo"])
        #expect(verify.status == 0 && verify.output.contains(": ok"), "\(verify.output)\(verify.errors)")
    }
}
