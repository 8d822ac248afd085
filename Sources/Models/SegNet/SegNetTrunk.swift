import TandemCore

/// SegNet's shared encoder–decoder as the MTAN code builds it (Badrinarayanan, Kendall, Cipolla,
/// TPAMI 2017; the MTAN/Nash-MTL/FAMO `SegNet` at `filter = [64, 128, 256, 512, 512]`):
///
///     input ─ E0 ─ pool ─ E1 ─ pool ─ E2 ─ pool ─ E3 ─ pool ─ E4 ─ pool ─┐
///             │indices  │          │          │          │ indices    unpool
///     out ─ D4 ─ unpool ─ D3 ─ unpool ─ D2 ─ unpool ─ D1 ─ unpool ─ D0 ─┘
///
/// Level i of the encoder is `encoder_block[i]` (one conv layer to the level's width) and
/// `conv_block_enc[i]` (one conv layer at levels 0–1, two at 2–4), followed by 2×2 max pooling
/// that keeps its indices. The decoder mirrors it: step j unpools to the indices of encoder level
/// 4 − j, then `decoder_block[4 − j]` (to the next width down) and `conv_block_dec[4 − j]`. Every
/// conv layer is a `SegNetConvLayer`; parameter names follow the reference's module paths under
/// `PREFIX` (e.g. `shared.conv_block_enc.2.1.0.weight`).
struct SegNetTrunk {
    /// The features every level produces, which MTAN's attention modules read.
    struct Features {
        /// g_encoder[i][0] and g_encoder[i][1] of the reference, i = 0…4.
        var encoderFirst: [Tensor] = [], encoderSecond: [Tensor] = []
        /// g_upsampl[j] and g_decoder[j][1], j = 0…4 (decoder order: coarse to fine).
        var upsampled: [Tensor] = [], decoderSecond: [Tensor] = []
        /// The trunk's output, g_decoder[4][1]: `filters[0]` channels at the input resolution.
        var output: Tensor { decoderSecond[decoderSecond.count - 1] }
    }

    /// Channels of the five levels (the reference: 64, 128, 256, 512, 512).
    let filters: [Int]
    let encoderBlocks: [SegNetConvLayer], encoderConvolutions: [Sequential]
    let decoderBlocks: [SegNetConvLayer], decoderConvolutions: [Sequential]

    init(prefix: String, inputChannels: Int, filters: [Int]) {
        precondition(filters.count == 5, "SegNet has five levels, got filters \(filters)")
        self.filters = filters
        encoderBlocks = (0..<5).map { i in
            SegNetConvLayer(name: "\(prefix).encoder_block.\(i)", inputChannels: i == 0 ? inputChannels : filters[i - 1], outputChannels: filters[i])
        }
        // A decoder block's output goes only to its level's convolutions: it stays blocked for them
        // (the features the attention modules read are N×C×H×W).
        decoderBlocks = (0..<5).map { i in
            SegNetConvLayer(name: "\(prefix).decoder_block.\(i)", inputChannels: i == 0 ? filters[0] : filters[i],
                            outputChannels: i == 0 ? filters[0] : filters[i - 1], output: .blocked)
        }
        // Levels 0 and 1 have one conv layer after the block, levels 2–4 two (the first keeps its
        // output blocked for the second); the decoder's level i works at the width of encoder level
        // i − 1 (level 0 at filters[0]).
        func repeated(_ name: String, channels: Int, level: Int) -> Sequential {
            if level < 2 { return Sequential([SegNetConvLayer(name: "\(name).\(level)", inputChannels: channels, outputChannels: channels)]) }
            return Sequential((0..<2).map {
                SegNetConvLayer(name: "\(name).\(level).\($0)", inputChannels: channels, outputChannels: channels,
                                output: $0 == 0 ? .blocked : .standard)
            })
        }
        encoderConvolutions = (0..<5).map { repeated("\(prefix).conv_block_enc", channels: filters[$0], level: $0) }
        decoderConvolutions = (0..<5).map { repeated("\(prefix).conv_block_dec", channels: filters[max(0, $0 - 1)], level: $0) }
    }

    /// In the reference's module order (its parameters' order in `named_parameters()`).
    var layers: [any Layer] { encoderBlocks + decoderBlocks + encoderConvolutions + decoderConvolutions }

    func initialParameters(generator: inout SeededGenerator) -> Parameters {
        layers.reduce(Parameters()) { $0.merging($1.initialParameters(generator: &generator)) }
    }

    func initialBuffers() -> Parameters { layers.reduce(Parameters()) { $0.merging($1.initialBuffers()) } }

    func callAsFunction(_ input: Tensor, _ context: ForwardContext) -> Features {
        var features = Features()
        var indices: [Tensor] = []
        var current = input
        for level in 0..<5 {
            let first = encoderBlocks[level](current, context)
            let second = encoderConvolutions[level](first, context)
            let pooled = maxPool2dWithIndices(second, size: 2)
            features.encoderFirst.append(first)
            features.encoderSecond.append(second)
            indices.append(pooled.indices)
            current = pooled.output
        }
        for step in 0..<5 {
            let level = 4 - step
            let upsampled = maxUnpool2d(current, indices: indices[level], height: current.shape[2] * 2, width: current.shape[3] * 2)
            let second = decoderConvolutions[level](decoderBlocks[level](upsampled, context), context)
            features.upsampled.append(upsampled)
            features.decoderSecond.append(second)
            current = second
        }
        return features
    }
}

/// SegNet's five widths scaled by `width` (rounded, at least 1): 64, 128, 256, 512, 512 at 1.
func segNetFilters(width: Double) -> [Int] { [64, 128, 256, 512, 512].map { scaledChannels($0, width: width) } }
