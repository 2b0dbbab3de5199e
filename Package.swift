// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Demixer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "demixer", targets: ["demixer"]),
        .library(name: "Demucs", targets: ["Demucs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // C libraries, imported as they are.
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CFFTW", pkgConfig: "fftw3f",
            providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(
            name: "CSndfile", pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(
            name: "CSoxr", pkgConfig: "soxr",
            providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(
            name: "CALSA", pkgConfig: "alsa",
            providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswresample-dev", "libavutil-dev"])]),
        .systemLibrary(
            name: "CRubberBand", pkgConfig: "rubberband",
            providers: [.apt(["librubberband-dev"])]),
        // ncursesw plus a shim for its macros.
        .target(
            name: "CCurses",
            cSettings: [.define("_XOPEN_SOURCE_EXTENDED")],
            linkerSettings: [.linkedLibrary("ncursesw"), .linkedLibrary("tinfo")]),

        // Float16 ⇄ Float32 conversions (F16C where the CPU has it); any pointer alignment.
        .target(
            name: "CHalfPrecision",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),

        // The engine's element-wise kernels (softmax, GELU, GLU), AVX2/FMA where the CPU has it.
        .target(
            name: "CVectorMath",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),

        // Files replaced all at once: a synced temporary file renamed into place.
        .target(name: "AtomicFiles"),

        // Samples in memory-mapped files: long tracks without anonymous memory.
        .target(name: "MappedStorage"),

        // Model files: torch.save zips, the restricted unpickler, safetensors.
        .target(
            name: "ModelFiles",
            dependencies: ["AtomicFiles", "CHalfPrecision", .product(name: "Crypto", package: "swift-crypto")]),

        // The HT Demucs network and chunked separation.
        // Optimised in debug builds too: its kernels run ~75× slower unoptimised, which
        // would make the end-to-end tests separate at a fraction of real time.
        .target(
            name: "Demucs",
            dependencies: ["ModelFiles", "CBLAS", "CFFTW", "CHalfPrecision", "CVectorMath"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),

        // Audio decode/encode (libsndfile, FFmpeg for everything else and NI Stems) and resampling (libsoxr).
        .target(
            name: "AudioIO",
            dependencies: ["AtomicFiles", "MappedStorage", "CSndfile", "CSoxr", "CFFmpeg"]),

        // The bundled demo model and demo song (Weights/).
        .target(
            name: "DemoAssets", path: "Weights",
            exclude: ["README.md", "MODEL_CARD.md", "training.json"],
            resources: [.copy("model"), .copy("demo-song.flac")]),

        // Official model manifest, downloads, installed weights (XDG cache).
        .target(
            name: "ModelStore",
            dependencies: ["AtomicFiles", "Demucs", "ModelFiles", "DemoAssets", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("models.json")]),

        // Separated stems cached on disk, keyed by audio and model.
        .target(
            name: "StemCache",
            dependencies: ["AtomicFiles", "CHalfPrecision", .product(name: "Crypto", package: "swift-crypto")]),

        // Mixer rules, presets, gain smoothing, meters, offline remix rendering and
        // offline tempo and key change (Rubber Band).
        .target(name: "Mixing", dependencies: ["CRubberBand"]),

        // Real-time playback: stem store in a mapped file, lock-free render path with
        // live tempo and key change, ALSA sink.
        .target(name: "Playback", dependencies: ["Mixing", "MappedStorage", "CALSA", "CRubberBand"]),

        // The ncurses mixer screen, widgets, key bindings and themes.
        .target(
            name: "TerminalUI",
            dependencies: ["Mixing", "CCurses", .product(name: "TOMLKit", package: "TOMLKit")]),

        // The application: tracks, models and their cache, and the jobs (separation,
        // cache write, export) the player and the batch commands run.
        .target(
            name: "DemixerCore",
            dependencies: ["Demucs", "AudioIO", "ModelStore", "StemCache", "Mixing", "Playback"]),

        // The command-line program: argument parsing and the glue to the terminal UI.
        .executableTarget(
            name: "demixer",
            dependencies: [
                "DemixerCore", "Demucs", "AudioIO", "ModelStore", "StemCache", "Mixing", "Playback", "TerminalUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),

        // Tests.
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles"], exclude: ["Fixtures"]),
        .testTarget(
            name: "DemucsTests", dependencies: ["Demucs", "ModelFiles", "CVectorMath"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO"]),
        .testTarget(name: "DemixerCLITests", dependencies: ["Demucs", "AudioIO"], exclude: ["Fixtures"]),
        .testTarget(name: "ModelStoreTests", dependencies: ["ModelStore"]),
        .testTarget(name: "StemCacheTests", dependencies: ["StemCache", "MappedStorage"]),
        .testTarget(
            name: "DemixerCoreTests",
            dependencies: ["DemixerCore", "Demucs", "ModelFiles", "AudioIO", "Mixing", "Playback", "StemCache"],
            exclude: ["Fixtures"]),
        .testTarget(name: "MixingTests", dependencies: ["Mixing"]),
        .testTarget(name: "PlaybackTests", dependencies: ["Playback", "Mixing"]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI", "Mixing"]),
        .testTarget(name: "FuzzTests", dependencies: ["Demucs"], exclude: ["Seeds", "Regressions", "README.md"]),
    ],
    swiftLanguageModes: [.v6]
)
