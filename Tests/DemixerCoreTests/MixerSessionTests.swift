import AudioIO
@testable import DemixerCore
import Foundation
import Mixing
import Testing

@Suite(.serialized) struct MixerSessionTests {
    @Test func separationFillsTheStoreAndEndsFinished() throws {
        let session = try silentSession(track: try syntheticTrack(seconds: 1.2), model: try smallModel())
        defer { session.quit() }
        #expect(session.separation?.wait().isFinished == true)
        #expect(session.store.isComplete)
    }

    @Test func cancelThenExportAgainLeavesOneWriterAndNoTemporaryFiles() throws {
        let folder = try ScratchFolder()
        let session = try silentSession(track: try syntheticTrack(seconds: 20), model: try smallModel())
        defer { session.quit() }
        let request = ExportRequest(kind: .stems, format: .audio(.flac24), destination: folder.url)
        #expect(session.startExport(request) == nil)
        let first = try #require(session.export)
        session.cancelExport()
        #expect(session.startExport(request) == nil)
        let second = try #require(session.export)
        #expect(first !== second)
        #expect(first.wait().isCancelled)
        #expect(second.wait().isFinished)
        #expect(folder.temporaries().isEmpty)
        #expect(folder.files() == ["tone/bass.flac", "tone/drums.flac", "tone/other.flac", "tone/vocals.flac"])
    }

    @Test func secondExportIsRefusedWhileOneRuns() throws {
        let folder = try ScratchFolder()
        let session = try silentSession(track: try syntheticTrack(seconds: 2), model: try smallModel())
        defer { session.quit() }
        let request = ExportRequest(kind: .remix, format: .audio(.wav16), destination: folder.url)
        #expect(session.startExport(request) == nil)
        #expect(session.startExport(request) == "an export is already running")
        #expect(session.export?.wait().isFinished == true)
    }

    @Test func quitDuringExportLeavesNoTemporaryFileAndEndsEveryJob() throws {
        let folder = try ScratchFolder()
        let session = try silentSession(track: try syntheticTrack(seconds: 30), model: try smallModel())
        #expect(session.separation?.wait().isFinished == true)
        session.startExport(ExportRequest(kind: .stems, format: .audio(.flac24), destination: folder.url))
        let export = try #require(session.export)
        // Quit while the first file is being written.
        #expect(eventually { !folder.temporaries().isEmpty || export.outcome != nil })
        session.quit()
        #expect(export.outcome?.isCancelled == true)
        #expect(session.jobs.isIdle)
        #expect(folder.temporaries().isEmpty)
    }

    @Test func quitWhileSeparatingCancelsTheSeparation() throws {
        let session = try silentSession(track: try syntheticTrack(seconds: 60), model: try smallModel())
        session.quit()
        #expect(session.separation?.outcome?.isCancelled == true)
        #expect(!session.store.isComplete)
    }

    @Test func aLoopOverAudioNotYetSeparatedIsSeparatedBeforeTheStart() throws {
        let track = try syntheticTrack(seconds: 60)
        let session = try silentSession(track: track, model: try smallModel())
        defer { session.quit() }
        let store = session.store
        let rate = track.sampleRate
        func separated(_ seconds: ClosedRange<Int>) -> Bool {
            (seconds.lowerBound * rate / store.tileFrames...seconds.upperBound * rate / store.tileFrames)
                .allSatisfy(store.isSeparated(tile:))
        }
        func seek(to seconds: Int) {
            session.seek(toFrame: seconds * rate)
            #expect(eventually { session.engine.status.position >= seconds * rate })
        }
        // A at 0:40, B at 0:55: the last seek sent the separation to 0:55, from where it
        // would go on to the end and then start again at 0:00; the loop brings it back.
        seek(to: 40)
        session.markLoop()
        seek(to: 55)
        session.markLoop()
        #expect(eventually { separated(40...55) })
        #expect(!separated(20...20), "the start was separated before the loop")
    }

    @Test func thePlayerLeavesACoreFreeFromFourCoresOn() {
        #expect([1, 2, 3, 4, 8, 16].map { MixerSession.separationThreads(cores: $0) } == [1, 2, 3, 3, 7, 15])
    }

    @Test func modelRateCarriesThroughStoreDurationAndExport() throws {
        let folder = try ScratchFolder()
        let model = try smallModel(sampleRate: 48_000)
        let track = try syntheticTrack(seconds: 1.5, sampleRate: 48_000)
        #expect(track.duration == 1.5)
        let session = try silentSession(track: track, model: model)
        defer { session.quit() }
        #expect(session.store.sampleRate == 48_000)
        #expect(session.engine.status.position >= 0)
        session.startExport(ExportRequest(kind: .remix, format: .audio(.wav16), destination: folder.url))
        #expect(session.export?.wait().isFinished == true)
        let written = try AudioFile.read(folder.url.appendingPathComponent("tone (remix).wav").path)
        #expect(written.audio.sampleRate == 48_000)
        #expect(written.audio.frameCount == 72_000)
    }

    @Test func theRemixAsHeardIsExportedAtThePlayersTempoAndKey() throws {
        let folder = try ScratchFolder()
        let track = try syntheticTrack(seconds: 1.5, sampleRate: 48_000)
        let session = try silentSession(track: track, model: try smallModel(sampleRate: 48_000))
        defer { session.quit() }
        session.stretch = StretchSettings(tempo: 0.8, semitones: -2)
        #expect(session.controls.stretch == StretchSettings(tempo: Double(Float(0.8)), semitones: -2))
        session.startExport(ExportRequest(kind: .remix, format: .audio(.wav16), destination: folder.url))
        #expect(session.export?.wait().isFinished == true)
        let written = try AudioFile.read(folder.url.appendingPathComponent("tone (remix).wav").path)
        #expect(written.audio.frameCount == 90_000)
    }

    @Test func outputsReturnToTheSourceRateFromTheModelRate() throws {
        let track = try syntheticTrack(seconds: 1, sampleRate: 48_000, sourceRate: 44_100)
        let stems = [[[Float]](repeating: [Float](repeating: 0.1, count: 48_000), count: 2)]
        let buffers = try track.prepareForWriting(stems, clip: .none)
        #expect(buffers[0].sampleRate == 44_100)
        #expect(abs(buffers[0].frameCount - 44_100) <= 1)
    }
}

@Suite struct NonFiniteOutputTests {
    @Test func nonFiniteModelOutputFailsTheBatchSeparationWithItsCount() throws {
        let track = try syntheticTrack(seconds: 1.2)
        let job = Separation.stems(of: track, with: try brokenModel(), in: JobGroup(), warn: { _ in })
        guard case .failed(let failure) = job.wait() else {
            Issue.record("expected the separation to fail")
            return
        }
        #expect(failure.status == ExitStatus.separationFailure)
        #expect(failure.message.contains("the model produced \(track.frameCount) non-finite samples"))
    }

    @Test func thePlayerKeepsPlayingAndSaysHowManySamplesWereNotFinite() throws {
        let session = try silentSession(track: try syntheticTrack(seconds: 1.2), model: try brokenModel())
        defer { session.quit() }
        #expect(session.separation?.wait().isFinished == true)
        #expect(session.store.isComplete)
        #expect(session.separationProblem?.contains("non-finite samples") == true)
    }
}

@Suite struct ModelSampleRateTests {
    static let checkpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/5f0a4800-e28f2e9f.th")

    @Test func aFortyEightKilohertzCheckpointPlaysAndExportsAtTheRightRates() throws {
        let folder = try ScratchFolder()
        let model = try ModelRequest(weightsPath: Self.checkpoint.path, useCache: false).load(defaultName: "htdemucs")
        #expect(model.sampleRate == 48_000)

        let song = folder.url.appendingPathComponent("song.wav")
        let tone = (0..<44_100).map { Float(sin(Double($0) * 0.03)) * 0.4 }
        try AudioFile.write(AudioBuffer(sampleRate: 44_100, channels: [tone, tone]), to: song.path, format: .wav16)
        let track = try Track.load(song.path, sampleRate: model.sampleRate)
        #expect(track.sampleRate == 48_000)
        #expect(abs(track.frameCount - 48_000) <= 1)
        #expect(abs(track.duration - 1) < 1e-4)

        let session = try silentSession(track: track, model: model)
        defer { session.quit() }
        #expect(session.store.sampleRate == 48_000)
        let out = folder.url.appendingPathComponent("out")
        session.startExport(ExportRequest(kind: .remix, format: .audio(.wav16), destination: out))
        #expect(session.export?.wait().isFinished == true)
        let written = try AudioFile.read(out.appendingPathComponent("song (remix).wav").path)
        #expect(written.audio.sampleRate == 44_100)
        #expect(abs(written.audio.frameCount - 44_100) <= 1)
    }
}

@Suite struct StemsFileExportTests {
    @Test func theRemixAsHeardExportsAsOneStemsFileWithTheRemixAsMaster() throws {
        let folder = try ScratchFolder()
        let session = try silentSession(track: try syntheticTrack(seconds: 1.5), model: try smallModel())
        defer { session.quit() }
        session.mix.strips[3].isMuted = true
        session.startExport(ExportRequest(kind: .remix, format: .stemsFile, destination: folder.url))
        #expect(session.export?.wait().isFinished == true)
        #expect(folder.files() == ["tone.stem.mp4"])
        let file = try StemsFile.read(folder.url.appendingPathComponent("tone.stem.mp4").path)
        #expect(file.stems.map(\.name) == ["drums", "bass", "other", "vocals"])
        #expect(abs(file.master.frameCount - session.track.frameCount) <= 2048)
    }
}

@Suite struct StemsFileNameTests {
    @Test func aStemsFileIsNamedWithoutItsDoubleExtension() throws {
        let folder = try ScratchFolder()
        let path = folder.url.appendingPathComponent("song.stem.mp4").path
        let tone = AudioBuffer(sampleRate: 44_100, channels: [[Float]](repeating: [Float](repeating: 0.1, count: 44_100), count: 2))
        try StemsFile(master: tone, separated: ["drums", "bass", "other", "vocals"].map { (name: $0, audio: tone) })
            .write(to: path)
        let track = try Track.load(path, sampleRate: 44_100)
        #expect(track.name == "song")
        #expect(track.fileExtension == "stem.mp4")
        let (stemsTrack, stems) = try Track.loadStems(path)
        #expect(stemsTrack.name == "song")
        #expect(stems.names == ["drums", "bass", "other", "vocals"])
    }
}
