/// `channels` multiplied by the width multiplier `width`, rounded to the nearest integer and at
/// least 1: how the split models scale every layer (width 0.25 turns 32, 64, 128, 256 into 8, 16,
/// 32, 64).
func scaledChannels(_ channels: Int, width: Double) -> Int {
    max(1, Int((Double(channels) * width).rounded()))
}
