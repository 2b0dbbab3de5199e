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

        // Model files: torch.save zips, the restricted unpickler, safetensors.
        .target(
            name: "ModelFiles",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]),

        // The HT Demucs network and chunked separation.
        .target(
            name: "Demucs",
            dependencies: ["ModelFiles", "CBLAS", "CFFTW"]),

        // Audio decode/encode (libsndfile) and resampling (libsoxr).
        .target(
            name: "AudioIO",
            dependencies: ["CSndfile", "CSoxr"]),

        // The command-line program.
        .executableTarget(
            name: "demixer",
            dependencies: [
                "Demucs", "AudioIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Tests.
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles"], exclude: ["Fixtures"]),
        .testTarget(
            name: "DemucsTests", dependencies: ["Demucs", "ModelFiles"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO"]),
    ],
    swiftLanguageModes: [.v6]
)
