import AudioIO
import DemixerCore
import Foundation
import Mixing
import TerminalUI

/// The terminal mixer's controller: turns the screen's commands into calls on a
/// `MixerSession` and the session's state into snapshots.
final class PlayerSession: PlayerController {
    let session: MixerSession
    private let deviceName: String
    /// The header's model field: the model's name, or where the stems came from.
    private let modelLabel: String
    private let seekScale: Double
    private var selected = 0
    private var message: String?
    private var quitting = false

    /// `seekStep` is the config's ←/→ step; the screen's 5 s and 30 s steps scale with it.
    /// `stems` come from an NI Stems file: played as they are, nothing separated.
    /// `preserveFormants` is the config's choice for transpositions.
    init(
        track: Track, model: LoadedModel, stems: Stems? = nil, device: String, seekStep: Double,
        preserveFormants: Bool = false
    ) throws(Failure) {
        session = try MixerSession(track: track, model: model, stems: stems, output: .device(device))
        session.stretch = StretchSettings(preservesFormants: preserveFormants)
        deviceName = device
        seekScale = seekStep / 5
        message = stems == nil ? model.notice : "stems from the file: nothing to separate"
        modelLabel = stems == nil ? model.displayName : "NI Stems"
    }

    func snapshot() -> PlayerSnapshot {
        let track = session.track
        let status = session.engine.status
        let rate = Double(session.store.sampleRate)
        let export = session.export
        let exportEnded: String? =
            switch export?.outcome {
            case .finished(let description)?: description
            case .failed(let failure)?: "export failed: \(failure.message)"
            case .cancelled?, nil: nil
            }
        let exportRunning = export.flatMap { $0.outcome == nil && !$0.isCancelled ? $0 : nil }
        let mix = session.mix
        return PlayerSnapshot(
            fileName: track.fileName, durationSeconds: track.duration, modelName: modelLabel,
            sampleRate: track.sourceRate, positionSeconds: Double(status.position) / rate,
            separatedRanges: session.store.separatedRanges().map {
                Double($0.lowerBound) / rate..<Double($0.upperBound) / rate
            },
            separationFraction: session.separation?.progress ?? 1, separationSpeed: session.separationSpeed,
            isSeparationDone: session.store.isComplete, isPlaying: session.controls.isPlaying,
            isBuffering: status.isBuffering,
            loopStart: session.loop.map { Double($0.start) / rate }, loopEnd: session.loop?.end.map { Double($0) / rate },
            stretch: session.stretch,
            mix: mix, meters: (0..<mix.strips.count).map { status.meter(stem: $0) } + [status.masterMeter],
            selectedStrip: selected,
            statusMessage: message ?? session.separationProblem ?? status.deviceFailure ?? session.engine.deviceProblem
                ?? session.warnings.last ?? exportEnded,
            export: exportRunning.map {
                ExportStatus(progress: $0.progress, description: session.store.isComplete ? "exporting" : "waiting for separation")
            },
            deviceName: deviceName, underruns: status.underruns, shouldQuit: quitting)
    }

    func handle(_ command: PlayerCommand) {
        let master = session.mix.strips.count
        let rate = Double(session.store.sampleRate)
        switch command {
        case .togglePlay: session.controls.isPlaying.toggle()
        case .seek(let seconds):
            let from = session.controls.pendingSeekTarget ?? session.engine.status.position
            session.seek(toFrame: from + Int(seconds * seekScale * rate))
        case .seekTo(let seconds): session.seek(toFrame: Int(seconds * rate))
        case .seekToStart: session.seek(toFrame: 0)
        case .seekToEnd: session.seek(toFrame: session.store.frameCount - 1)
        case .selectStrip(let index): selected = min(max(index, 0), master)
        case .selectNext: selected = (selected + 1) % (master + 1)
        case .selectPrevious: selected = (selected + master) % (master + 1)
        case .adjustGain(let strip, let dB):
            if strip == master { session.mix.adjustMasterGain(byDB: dB) } else { session.mix.adjustGain(of: strip, byDB: dB) }
        case .setGain(let strip, let dB):
            if strip == master {
                session.mix.masterGainDB = MixState.clampedGain(dB: dB)
            } else {
                session.mix.setGain(of: strip, dB: dB)
            }
        case .resetStrip(let strip):
            if strip == master { session.mix.masterGainDB = 0 } else { session.mix.resetStrip(strip) }
        case .resetMix: session.mix.resetAll()
        case .toggleMute(let strip) where strip < master: session.mix.toggleMute(strip)
        case .solo(let strip, let exclusive) where strip < master:
            if exclusive { session.mix.toggleExclusiveSolo(strip) } else { session.mix.toggleSolo(strip) }
        case .toggleMute, .solo: break
        case .preset(let preset): session.mix.apply(preset)
        case .loopMark: session.markLoop()
        case .adjustTempo(let percent):
            // Whole percents, so that steps up and down meet again at 100 %.
            let tempo = ((session.stretch.tempo * 100).rounded() + percent) / 100
            session.stretch = StretchSettings(
                tempo: tempo, semitones: session.stretch.semitones, preservesFormants: session.stretch.preservesFormants)
        case .transpose(let semitones):
            // Whole cents, for the same reason.
            let key = ((session.stretch.semitones + semitones) * 100).rounded() / 100
            session.stretch = StretchSettings(
                tempo: session.stretch.tempo, semitones: key, preservesFormants: session.stretch.preservesFormants)
        case .resetStretch: session.stretch = StretchSettings(preservesFormants: session.stretch.preservesFormants)
        case .export(let request):
            message = session.startExport(
                DemixerCore.ExportRequest(
                    kind: request.kind == .remix ? .remix : .stems, format: request.format.fileFormat,
                    destination: request.destination))
        case .cancelExport: session.cancelExport()
        case .quit:
            quitting = true
            session.quit()
        }
    }
}

extension ExportFormat {
    /// The format the export dialog's choice names.
    var fileFormat: DemixerCore.ExportRequest.Format {
        switch self {
        case .wav16: .audio(.wav16)
        case .wav24: .audio(.wav24)
        case .wavFloat: .audio(.wavFloat32)
        case .flac16: .audio(.flac16)
        case .flac24: .audio(.flac24)
        case .mp3: .audio(.mp3)
        case .stemMP4: .stemsFile
        }
    }
}
