import AudioIO
import DemixerCore
import Foundation
import Mixing
import Playback
import Testing

@Suite("NI Stems files as input")
struct StemsInputTests {
    @Test("A stems file loads as its master and its named stems, and a session plays them without separating")
    func sessionOverAStemsFile() throws {
        let folder = try ScratchFolder()
        let path = folder.url.appendingPathComponent("song.stem.mp4").path
        let tone = AudioBuffer(
            sampleRate: 44_100, channels: (0..<2).map { _ in (0..<44_100).map { Float(0.3 * sin(Double($0) * 0.05)) } })
        try StemsFile(master: tone, separated: [(name: "drums", audio: tone)]).write(to: path)

        let (track, stems) = try Track.loadStems(path)
        let session = try MixerSession(
            track: track, model: try smallModel(), stems: stems, output: .sink(ClockSink(sampleRate: track.sampleRate)))
        defer { session.quit() }

        #expect(track.name == "song" && track.sampleRate == 44_100)
        #expect(stems.names == ["drums", "bass", "other", "vocals"])
        #expect(session.mix.strips.map(\.name) == stems.names)
        #expect(session.separation == nil && session.store.isComplete)
    }
}
