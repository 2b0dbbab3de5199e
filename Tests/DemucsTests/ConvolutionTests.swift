import Foundation
import Testing

@testable import Demucs

/// `Conv2d`'s fast paths against the convolution's definition in double precision.
@Suite struct ConvolutionTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        let channels, outputs, height, width: Int
        let gated, biased: Bool
        /// The Winograd path's buffer budget in floats; small ones force blocks and groups.
        var budget = 1 << 21
        var testDescription: String {
            "\(channels)→\(outputs), \(height)×\(width)\(gated ? ", gated" : "")\(biased ? ", bias" : ""), budget \(budget)"
        }
    }

    /// Edges with 1–3 rows or columns of a tile, a single row, enough tiles for several
    /// tasks, and budgets small enough for several blocks of output channels and several
    /// groups of tasks.
    static let shapes = [
        Shape(channels: 3, outputs: 5, height: 7, width: 9, gated: false, biased: true),
        Shape(channels: 2, outputs: 4, height: 1, width: 5, gated: true, biased: true),
        Shape(channels: 4, outputs: 60, height: 6, width: 40, gated: false, biased: false),
        Shape(channels: 48, outputs: 96, height: 3, width: 701, gated: true, biased: true),
        Shape(channels: 3, outputs: 20, height: 9, width: 60, gated: false, biased: true, budget: 1 << 11),
        Shape(channels: 5, outputs: 24, height: 10, width: 22, gated: true, biased: true, budget: 1 << 11),
    ]

    @Test(arguments: shapes)
    func winogradConvolutionMatchesTheDefinition(shape: Shape) {
        let (channels, outputs, height, width) = (shape.channels, shape.outputs, shape.height, shape.width)
        let x = VectorKernelTests.values(channels * height * width, seed: 21)
        let w = VectorKernelTests.values(outputs * channels * 9, seed: 22)
        let b = VectorKernelTests.values(outputs, seed: 23)
        let conv = Conv2d(
            weight: Tensor(shape: [outputs, channels, 3, 3], values: w),
            bias: shape.biased ? Tensor(shape: [outputs], values: b) : nil, padding: (1, 1), winogradBudget: shape.budget)
        let context = ComputeContext(threads: 2)
        let input = Tensor(shape: [channels, height, width], values: x)
        let y = shape.gated ? conv.gated(input, context: context) : conv(input, context: context)
        let produced = shape.gated ? outputs / 2 : outputs
        #expect(y.shape == [produced, height, width])

        /// The convolution's output `o` at (h, t), with the magnitude of its terms.
        func direct(_ o: Int, _ h: Int, _ t: Int) -> (value: Double, magnitude: Double) {
            var (sum, magnitude) = shape.biased ? (Double(b[o]), abs(Double(b[o]))) : (0, 0)
            for c in 0..<channels {
                for kh in 0..<3 where (0..<height).contains(h + kh - 1) {
                    for kw in 0..<3 where (0..<width).contains(t + kw - 1) {
                        let term = Double(w[((o * channels + c) * 3 + kh) * 3 + kw])
                            * Double(x[(c * height + h + kh - 1) * width + t + kw - 1])
                        sum += term
                        magnitude += abs(term)
                    }
                }
            }
            return (sum, magnitude)
        }
        var worst = 0.0
        for o in 0..<produced {
            for h in 0..<height {
                for t in 0..<width {
                    let (value, magnitude) = direct(o, h, t)
                    var expected = value
                    var scale = magnitude
                    if shape.gated {
                        let gate = direct(produced + o, h, t)
                        let sigma = 1 / (1 + exp(-gate.value))
                        expected = value * sigma
                        // The gate's error reaches the output through σ' ≤ 1/4.
                        scale = magnitude * sigma + abs(value) * gate.magnitude / 4
                    }
                    worst = max(worst, abs(Double(y.values[(o * height + h) * width + t]) - expected) / max(scale, 1e-30))
                }
            }
        }
        // Float rounding through the transforms: well under 1e-5 of the terms' magnitude.
        #expect(worst <= 1e-5, "worst error \(worst) of the terms' magnitude")
    }

    @Test func winogradConvolutionOfAnEmptyInputIsEmpty() {
        let conv = Conv2d(
            weight: Tensor(shape: [4, 2, 3, 3], values: VectorKernelTests.values(4 * 2 * 9, seed: 28)), bias: nil,
            padding: (1, 1))
        let context = ComputeContext(threads: 2)
        let y = conv.gated(Tensor(shape: [2, 0, 7], values: []), context: context)
        #expect(y.shape == [2, 0, 7] && y.values.isEmpty)
        #expect(context.gemmFlops == 0)
    }

    /// A kernel, stride and padding that select one of `Conv2d`'s paths.
    struct ConvolutionPath: Sendable, CustomTestStringConvertible {
        let name: String
        let kernel: (Int, Int)
        let stride: (Int, Int)
        let padding: (Int, Int)
        var testDescription: String { name }
    }

    @Test(arguments: [
        ConvolutionPath(name: "patch matrix", kernel: (8, 1), stride: (4, 1), padding: (2, 0)),
        ConvolutionPath(name: "pointwise", kernel: (1, 1), stride: (1, 1), padding: (0, 0)),
        ConvolutionPath(name: "direct", kernel: (1, 3), stride: (1, 1), padding: (0, 1)),
        ConvolutionPath(name: "Winograd", kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
    ])
    func convolutionWithNoOutputColumnsIsEmpty(path: ConvolutionPath) {
        let (channels, outputs) = (2, 4)
        let count = outputs * channels * path.kernel.0 * path.kernel.1
        let conv = Conv2d(
            weight: Tensor(shape: [outputs, channels, path.kernel.0, path.kernel.1], values: VectorKernelTests.values(count, seed: 29)),
            bias: Tensor(shape: [outputs], values: VectorKernelTests.values(outputs, seed: 30)), stride: path.stride,
            padding: path.padding)
        let context = ComputeContext(threads: 2)
        for height in [0, 1, 9] {
            let input = Tensor(shape: [channels, height, 0], values: [])
            #expect(conv(input, context: context).values.isEmpty)
            #expect(conv.gated(input, context: context).values.isEmpty)
        }
        #expect(context.gemmFlops == 0)
    }

    @Test func transposedConvolutionOfAnEmptyInputIsItsBias() {
        let (channels, outputs) = (3, 2)
        let bias: [Float] = [0.25, -0.5]
        let conv = ConvTranspose2d(
            weight: Tensor(shape: [channels, outputs, 8, 1], values: VectorKernelTests.values(channels * outputs * 8, seed: 31)),
            bias: Tensor(shape: [outputs], values: bias), stride: (4, 1))
        let context = ComputeContext(threads: 2)
        for (height, width) in [(3, 0), (1, 0), (0, 5)] {
            let y = conv(Tensor(shape: [channels, height, width], values: []), context: context)
            let (outHeight, outWidth) = ((height - 1) * 4 + 8, width)
            #expect(y.shape == [outputs, outHeight, outWidth])
            #expect(y.values == bias.flatMap { [Float](repeating: $0, count: outHeight * outWidth) })
        }
        #expect(context.gemmFlops == 0)
    }

    @Test func winogradConvolutionCountsTheDirectProductsItReplaces() {
        let (channels, outputs, height, width) = (4, 8, 6, 10)
        let conv = Conv2d(
            weight: Tensor(shape: [outputs, channels, 3, 3], values: VectorKernelTests.values(outputs * channels * 9, seed: 24)),
            bias: nil, padding: (1, 1))
        let context = ComputeContext(threads: 1)
        _ = conv(Tensor(shape: [channels, height, width], values: VectorKernelTests.values(channels * height * width, seed: 25)), context: context)
        #expect(context.gemmFlops == 2 * outputs * channels * 9 * height * width)
        // 36 products per channel pair and 4×4 tile (two rows, three columns of tiles), against 144 directly.
        #expect(context.issuedGemmFlops == 2 * outputs * channels * 36 * 2 * 3)
    }
}
