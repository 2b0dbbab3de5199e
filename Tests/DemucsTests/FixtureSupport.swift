import Foundation
import ModelFiles
import Testing

@testable import Demucs

/// The reference fixtures written by `scripts/make_fixtures.py` (PyTorch + demucs).
enum Fixtures {
    static let root = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The tensors of a fixture's `io.safetensors`, as model tensors.
    static func tensors(_ relative: String) throws -> [String: Tensor] {
        try tensors(at: url(relative))
    }

    /// The tensors of any safetensors file, as model tensors.
    static func tensors(at url: URL) throws -> [String: Tensor] {
        try SafetensorsFile.load(contentsOf: url).tensors.mapValues { Tensor(shape: $0.shape, values: $0.values) }
    }

    /// The one `.th` checkpoint in a fixture folder.
    static func checkpoint(in folder: String) throws -> URL {
        let names = try FileManager.default.contentsOfDirectory(atPath: url(folder).path)
        let name = try #require(names.first { $0.hasSuffix(".th") }, "no checkpoint in \(folder)")
        return url(folder).appendingPathComponent(name)
    }

    /// Loads every checkpoint of a folder, sorted by name.
    static func models(in folder: String) throws -> [HTDemucs] {
        try FileManager.default.contentsOfDirectory(atPath: url(folder).path).filter { $0.hasSuffix(".th") }.sorted()
            .map { try HTDemucs.load(contentsOf: url(folder).appendingPathComponent($0)) }
    }
}

/// How close an output is to its reference.
struct Agreement: CustomStringConvertible {
    /// Signal-to-noise ratio of `actual` against `reference`, in dB.
    let snr: Double
    /// Largest absolute difference, as a fraction of the reference's largest magnitude.
    let relativeMaxError: Double

    init(reference: [Float], actual: [Float]) {
        precondition(reference.count == actual.count, "comparing \(reference.count) values with \(actual.count)")
        var signal = 0.0
        var noise = 0.0
        var peak = 0.0
        var worst = 0.0
        for (r, a) in zip(reference, actual) {
            signal += Double(r) * Double(r)
            noise += (Double(r) - Double(a)) * (Double(r) - Double(a))
            peak = max(peak, abs(Double(r)))
            worst = max(worst, abs(Double(r) - Double(a)))
        }
        snr = noise == 0 ? .infinity : 10 * log10(signal / noise)
        relativeMaxError = peak == 0 ? worst : worst / peak
    }

    /// The parity bar of the engine's stems, what the project promises: at least 90 dB SNR
    /// and a max error within 1e-4 of the peak (measured: 98–140 dB, at most 3e-5).
    var meetsParityBar: Bool { snr >= 90 && relativeMaxError <= 1e-4 }

    var description: String {
        String(format: "SNR %.1f dB, max error %.2e of peak", snr, relativeMaxError)
    }
}

/// Checks each source of `[S, C, T]` outputs separately against the parity bar.
func expectStemsMatch(_ actual: Tensor, _ reference: Tensor, sources: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == reference.shape, sourceLocation: sourceLocation)
    guard actual.shape == reference.shape else { return }
    let perStem = actual.count / sources.count
    for (s, name) in sources.enumerated() {
        let range = (s * perStem)..<((s + 1) * perStem)
        let agreement = Agreement(reference: Array(reference.values[range]), actual: Array(actual.values[range]))
        #expect(agreement.meetsParityBar, "stem \(name): \(agreement)", sourceLocation: sourceLocation)
        if ProcessInfo.processInfo.environment["DEMIXER_PRINT_PARITY"] != nil { print("parity \(name): \(agreement)") }
    }
}

/// Runs a separator over `mix` and assembles its spans into `[S, C, T]`, checking they
/// arrive in order and cover the track exactly once.
func separateWhole(_ separator: Separator, mix: Tensor) throws -> Tensor {
    let sources = separator.bag.sources.count
    let channels = mix.shape[0]
    let length = mix.shape[1]
    var out = [Float](repeating: 0, count: sources * channels * length)
    var next = 0
    try separator.run(mix: mix) { span in
        #expect(span.start == next, "spans must arrive in order without gaps")
        for s in 0..<sources {
            for c in 0..<channels {
                for i in 0..<span.frameCount {
                    out[(s * channels + c) * length + span.start + i] = span.stems[s].values[c * span.frameCount + i]
                }
            }
        }
        next = span.start + span.frameCount
    }
    #expect(next == length, "spans must cover the whole track")
    return Tensor(shape: [sources, channels, length], values: out)
}
